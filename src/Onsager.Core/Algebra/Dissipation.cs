using System.Collections.Immutable;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>
/// The dissipative operator M(u): symmetric positive semi-definite by construction. No constructor here can leave
/// the cone (L1, L2 of docs/theory.md, section 3.7): sums, positive scalings, S M S with S diagonal and congruences L^T M L only.
/// Each primitive carries all its interpretations (compile, formula, structural promises, validation, model.json, random
/// draw); the combinators share theirs with <see cref="Conservation"/> (Primitives.cs).
/// </summary>
public abstract partial record Dissipation : IOperator<Dissipation>
{
    private Dissipation() { }

    /// <summary>The symmetric side of the algebra: positive scalings, drawn log-uniformly.</summary>
    internal static readonly OperatorSide<Dissipation> Side = new("dissipation", Constraint.Positive,
        t => new Sum(t), (c, inner) => new Scaled(c, inner), (l, inner) => new Congruence(l, inner), op => new Custom(op),
        c => RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)));

    /// <summary>The compiled operator g -> M(u) g.</summary>
    internal abstract CompiledOperator<Dissipation> CompileIn(OperatorContext c);
    /// <summary>How it prints inside a member's formula.</summary>
    internal abstract string FormulaText { get; }
    /// <summary>Promise: M 1_f = 0 on every field (mass is a Casimir for every energy).</summary>
    internal abstract bool PromisesMass { get; }
    /// <summary>Promise: M commutes with grid shifts.</summary>
    internal abstract bool PromisesShiftEquivariance { get; }
    /// <summary>Checks field indices, axes and sizes against the member; throws naming the path <paramref name="at"/>.</summary>
    internal abstract void ValidateIn(Grid g, int fields, string at);
    /// <summary>Its model.json object (arrays longer than the writer's limit go to weights.bin, in encoding order).</summary>
    internal abstract JsonNode EncodeWith(ModelJson.Writer w, string path);

    CompiledOperator<Dissipation> IOperator<Dissipation>.CompileIn(OperatorContext c) => CompileIn(c);
    string IOperator<Dissipation>.FormulaText => FormulaText;
    bool IOperator<Dissipation>.PromisesMass => PromisesMass;
    bool IOperator<Dissipation>.PromisesShiftEquivariance => PromisesShiftEquivariance;
    void IOperator<Dissipation>.ValidateIn(Grid g, int fields, string at) => ValidateIn(g, fields, at);
    JsonNode IOperator<Dissipation>.EncodeWith(ModelJson.Writer w, string path) => EncodeWith(w, path);

    /// <summary>Fourier multiplier theta_k^2, one theta per rfft mode (same on every field).</summary>
    public sealed record Multiplier(ParamArray Theta) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The multiplier coefficients theta.</summary>
        public ParamArray Theta { get; init => field = Checks.NotNull(value, "theta"); } = Checks.NotNull(Theta, "theta");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "multiplier";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Multiplier(r.Array(o, "theta", p)));
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Leaf(0, c =>
            new Multiplier(RandomMembers.Array(c.Rng, Spectral.ModeCount(c.Grid), () => Math.Sqrt(RandomMembers.Scale(c.Rng, c.Options)) * (c.Rng.Next(2) == 0 ? 1 : -1))));

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c)
        {
            var grid = c.Grid;
            var theta = c.Store.Array(Theta, Constraint.Free, c.Name + ".theta");
            // theta * theta, not square(): see Pointwise.Curvature (this symbol is built at every training step).
            Tensor Symbol() { var t = Spectral.Expand(theta.Get(), grid, false); return t * t; }
            return new((u, g) => Spectral.ApplyReal(g, Symbol(), grid), () => this with { Theta = theta.Snapshot() })
            { Symbol = () => Symbols.Real(Symbol()) };
        }

        internal override string FormulaText => "theta^2(k)";
        internal override bool PromisesMass => Theta.Length > 0 && Theta[0] == 0 && !Theta.Learned;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckModes(Theta, g, "dissipation multiplier", at + ".theta");
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["theta"] = w.Array(Theta) };
    }

    /// <summary>L2 mobility diag(m(u_i)), m &gt;= 0 (Allen-Cahn type relaxation; not mass conserving).</summary>
    public sealed record Mobility(NonNegative M) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The nonnegative mobility m.</summary>
        public NonNegative M { get; init => field = Checks.NotNull(value, "m"); } = Checks.NotNull(M, "m");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "mobility";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Mobility(r.NonNegative(r.Obj(o, "m", p), p + ".m")));
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Leaf(1, c => new Mobility(RandomMembers.RandomNonNegative(c.Rng, c.Options)));

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c)
        {
            var f = Pointwise.Compile(M, c.Store, c.Name + ".m");
            var constant = OperatorCompiler.ConstantOf(M, f);
            var (grid, store) = (c.Grid, c.Store);
            return new((u, g) => f.Apply(u) * g, () => new Mobility(f.Snapshot()))
            { Symbol = constant is null ? null : () => Symbols.Real(constant() * ones(Spectral.ModeCount(grid), store.DType, store.Device)) };
        }

        internal override string FormulaText => $"diag({Formula.Of(M, "u")})";
        internal override bool PromisesMass => false;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) { }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["m"] = w.NonNegative(M) };
    }

    /// <summary>sum over axes of D+^T diag(m(u at half points)) D+: H^-1 type, conserves mass (Cahn-Hilliard).</summary>
    public sealed record Divergence(NonNegative M) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The nonnegative mobility m.</summary>
        public NonNegative M { get; init => field = Checks.NotNull(value, "m"); } = Checks.NotNull(M, "m");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "divergence";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Divergence(r.NonNegative(r.Obj(o, "m", p), p + ".m")));
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Leaf(2, c => new Divergence(RandomMembers.RandomNonNegative(c.Rng, c.Options)));

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c)
        {
            var f = Pointwise.Compile(M, c.Store, c.Name + ".m");
            var (grid, store) = (c.Grid, c.Store);
            return new((u, g) =>
            {
                Tensor? acc = null;
                for (int axis = 0; axis < grid.Dimensions; axis++)
                {
                    var t = Stencils.ForwardTranspose(f.Apply(Stencils.HalfPoint(u, axis)) * Stencils.Forward(g, grid, axis), grid, axis);
                    acc = acc is null ? t : acc.Plus(t);
                }
                return acc!;
            }, () => new Divergence(f.Snapshot()))
            {
                Symbol = OperatorCompiler.ConstantOf(M, f) is { } k ? () => Symbols.Real(k() * tensor(Symbols.Laplacian(grid, DifferenceKind.Forward), store.DType, store.Device)) : null
            };
        }

        internal override string FormulaText => $"Dx^T {Formula.Of(M, "u")} Dx";
        internal override bool PromisesMass => true;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) { }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["m"] = w.NonNegative(M) };
    }

    /// <summary>B B^T with B = sum_j b_j S^j (j = 0..) along an axis, constant coefficients.</summary>
    public sealed record Banded(ParamArray B, int Axis = 0) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The band coefficients.</summary>
        public ParamArray B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "banded";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Banded(r.Array(o, "b", p), r.Int(o, "axis", p)));
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Leaf(3, c =>
        {
            int axis = c.Rng.Next(c.Grid.Dimensions);
            return new Banded(RandomMembers.Array(c.Rng, c.Rng.Next(1, Math.Min(4, (c.Grid.Points[axis] + 1) / 2) + 1),
                                                  () => RandomMembers.Signed(c.Rng, Math.Sqrt(RandomMembers.Scale(c.Rng, c.Options)))), axis);
        });

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c)
        {
            var k = c.Store.Array(B, Constraint.Free, c.Name + ".b");
            int n = B.Length;
            var (grid, store) = (c.Grid, c.Store);
            return new((u, g) => OperatorCompiler.Circulant(OperatorCompiler.Circulant(g, k.Get(), n, 0, Axis, true), k.Get(), n, 0, Axis, false),
                       () => this with { B = k.Snapshot() })
            {
                Symbol = () =>
                {
                    var s = Symbols.ToTensor(Symbols.Circulant(grid, k.Get().detach().cpu().data<double>().ToArray(), 0, Axis), store.DType, store.Device);
                    return Symbols.Real(s.abs().Squared());
                }
            };
        }

        internal override string FormulaText => $"B B^T[{B.Length}]";
        internal override bool PromisesMass => Math.Abs(B.Values.Sum()) == 0 && !B.Learned;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckAxis(Axis, g, "banded dissipation", at);
            Structure.CheckBand(B.Length - 1, g, Axis, at + ".b");
        }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["b"] = w.Array(B), ["axis"] = Axis };
    }

    /// <summary>
    /// beta I + B B^T with B a dense n x Rank matrix (n = fields x sites, row-major, the state flattened as (field, x[, y])),
    /// beta &gt;= 0: the dissipation of OnsagerNet (Yu, Tian, E and Li, "OnsagerNet", Phys. Rev. Fluids 6, 114402, 2021) with
    /// constant factors. Non-local: it couples every site with every other.
    /// </summary>
    public sealed record LowRank(Param Beta, int Rank, ParamArray B) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The nonnegative weight beta of the identity.</summary>
        public Param Beta { get; init => field = NonNegativeBeta(value); } = NonNegativeBeta(Beta);
        /// <summary>The number of columns of B (&gt;= 1); fixed at construction (the member checks B's size against it).</summary>
        public int Rank { get; } = Checks.AtLeast(Rank, 1, "A low-rank operator's rank", "rank");
        /// <summary>The low-rank factor B.</summary>
        public ParamArray B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");

        private static Param NonNegativeBeta(Param b) { Param.RequireNonNegative(b, "The low-rank dissipation's beta", "beta"); return b; }

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "low-rank";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new LowRank(r.Param(o, "beta", p), r.Int(o, "rank", p), r.Array(o, "b", p)));
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } =
            new RandomRule<Dissipation>.Never("its factor has fields x sites x rank numbers fixed by the grid: OnsagerNet's family (Families) builds it");

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c)
        {
            var beta = c.Store.Scalar(Beta, Constraint.Positive, c.Name + ".beta");
            var b = c.Store.Array(B, Constraint.Free, c.Name + ".B");
            return new((u, g) => (beta.Get() * g).Plus(OperatorCompiler.LowRankProduct(g, b.Get(), b.Get(), Rank)),
                       () => this with { Beta = beta.Snapshot(), B = b.Snapshot() });
        }

        internal override string FormulaText => $"{Formula.Times(Beta, "I")} + B B^T[rank {Rank}]";
        internal override bool PromisesMass => false;                      // beta I alone moves the mass
        internal override bool PromisesShiftEquivariance => false;         // dense: it sees the sites in their order
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckLowRank(B, Rank, g, fields, "low-rank dissipation's B", at + ".b");
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["beta"] = ModelJson.Writer.Param(Beta), ["rank"] = Rank, ["b"] = w.Array(B) };
    }

    /// <summary>M1 + M2 + ... (the cone is closed under sums, L1).</summary>
    public sealed record Sum(ImmutableArray<Dissipation> Terms) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The summed dissipations.</summary>
        public ImmutableArray<Dissipation> Terms { get; init => field = Checks.Elements(value); } = Checks.Elements(Terms);

        /// <inheritdoc />
        public bool Equals(Sum? other) => other is not null && Terms.SequenceEqual(other.Terms);
        /// <inheritdoc />
        public override int GetHashCode() => Terms.Aggregate(5, (h, t) => h * 31 + t.GetHashCode());

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "sum";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeSum(Side, r, o, p);
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Combinator(0, c => Combinators.DrawSum(Side, c));

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c) => Combinators.CompileSum(Side, Terms, c);
        internal override string FormulaText => Combinators.FormatSum(Terms);
        internal override bool PromisesMass => Combinators.MassOfSum(Terms);
        internal override bool PromisesShiftEquivariance => Combinators.ShiftOfSum(Terms);
        internal override void ValidateIn(Grid g, int fields, string at) => Combinators.ValidateSum(Terms, g, fields, at);
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => Combinators.EncodeSum(Terms, w, path);
    }

    /// <summary>c M, c &gt; 0.</summary>
    public sealed record Scaled(Param C, Dissipation Inner) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The positive scale c.</summary>
        public Param C { get; init => field = Positive(value); } = Positive(C);
        /// <summary>The scaled dissipation.</summary>
        public Dissipation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");

        private static Param Positive(Param c) { Param.RequirePositive(c, "A dissipation scaling", "c"); return c; }

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "scaled";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeScaled(Side, r, o, p);
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Combinator(1, c => Combinators.DrawScaled(Side, c));

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c) => Combinators.CompileScaled(Side, C, Inner, c);
        internal override string FormulaText => Combinators.FormatScaled(C, Inner);
        internal override bool PromisesMass => Inner.PromisesMass;
        internal override bool PromisesShiftEquivariance => Inner.PromisesShiftEquivariance;
        internal override void ValidateIn(Grid g, int fields, string at) => Inner.ValidateIn(g, fields, at + ".inner");
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => Combinators.EncodeScaled(C, Inner, w, path);
    }

    /// <summary>S M S with S = diag(s(u_i)), s &gt;= 0 (L2 of docs/theory.md, section 3.7: positive scaling that keeps symmetry).</summary>
    public sealed record Weighted(NonNegative S, Dissipation Inner) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The nonnegative weight s.</summary>
        public NonNegative S { get; init => field = Checks.NotNull(value, "s"); } = Checks.NotNull(S, "s");
        /// <summary>The weighted dissipation.</summary>
        public Dissipation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "weighted";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new Weighted(r.NonNegative(r.Obj(o, "s", p), p + ".s"), r.Operator<Dissipation>(r.Obj(o, "inner", p), p + ".inner")));
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Combinator(2, c =>
            new Weighted(RandomMembers.RandomNonNegative(c.Rng, c.Options), Primitives<Dissipation>.Draw(c with { Depth = c.Depth - 1 })));

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c)
        {
            var s = Pointwise.Compile(S, c.Store, c.Name + ".s");
            var inner = Inner.CompileIn(c.Part(".inner"));
            return new((u, g) => { var su = s.Apply(u); return su * inner.Apply(u, su * g); },
                       () => new Weighted(s.Snapshot(), inner.Snapshot()))
            { Symbol = OperatorCompiler.ConstantOf(S, s) is { } k && inner.Symbol is not null ? () => k().Squared() * inner.Symbol() : null };
        }

        internal override string FormulaText => $"[{Formula.Of(S, "u")}] ({Inner.FormulaText}) [{Formula.Of(S, "u")}]";
        internal override bool PromisesMass => false;
        internal override bool PromisesShiftEquivariance => Inner.PromisesShiftEquivariance;
        internal override void ValidateIn(Grid g, int fields, string at) => Inner.ValidateIn(g, fields, at + ".inner");
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["s"] = w.NonNegative(S), ["inner"] = Inner.EncodeWith(w, path + ".inner") };
    }

    /// <summary>L^T M L (the inner operator sees the state mapped by a field selection, else the state itself).</summary>
    public sealed record Congruence(Linear L, Dissipation Inner) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The linear operator L.</summary>
        public Linear L { get; init => field = Checks.NotNull(value, "l"); } = Checks.NotNull(L, "l");
        /// <summary>The dissipation M in L^T M L.</summary>
        public Dissipation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "congruence";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeCongruence(Side, r, o, p);
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Combinator(3, c => Combinators.DrawCongruence(Side, c));

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c) => Combinators.CompileCongruence(Side, L, Inner, c);
        internal override string FormulaText => Combinators.FormatCongruence(L, Inner);
        internal override bool PromisesMass => Combinators.MassOfCongruence(L, Inner);
        internal override bool PromisesShiftEquivariance => Inner.PromisesShiftEquivariance;
        internal override void ValidateIn(Grid g, int fields, string at) => Combinators.ValidateCongruence(L, Inner, g, fields, at);
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => Combinators.EncodeCongruence(L, Inner, w, path);
    }

    /// <summary>A user's own operator promised symmetric PSD: the laws check it.</summary>
    public sealed record Custom(ICustomOperator Operator) : Dissipation, IPrimitive<Dissipation>
    {
        /// <summary>The user-supplied operator.</summary>
        public ICustomOperator Operator { get; init => field = Checks.NotNull(value, "operator"); } = Checks.NotNull(Operator, "operator");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "custom";
        static Dissipation IPrimitive<Dissipation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeCustom(Side, p);
        static RandomRule<Dissipation> IPrimitive<Dissipation>.Random { get; } = new RandomRule<Dissipation>.Never("a user's code, not data the generator can make");

        internal override CompiledOperator<Dissipation> CompileIn(OperatorContext c) => Combinators.CompileCustom<Dissipation>(Operator, this, c);
        internal override string FormulaText => Operator.Formula;
        internal override bool PromisesMass => Operator.ConservesMass;
        internal override bool PromisesShiftEquivariance => Operator.ShiftEquivariant;
        internal override void ValidateIn(Grid g, int fields, string at) { }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => w.Custom(path, "Dissipation.Custom", Operator.Formula, Operator);
    }

    /// <summary>The sum of two dissipations (nested sums are flattened).</summary>
    public static Dissipation operator +(Dissipation a, Dissipation b) => new Sum(Flatten(a).Concat(Flatten(b)).ToImmutableArray());

    private static IEnumerable<Dissipation> Flatten(Dissipation d) => d is Sum s ? s.Terms : [d];

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>
/// The conservative operator W(u): antisymmetric by construction (L1, L2 of docs/theory.md, section 3.7): sums, real scalings, congruences.
/// Each primitive carries all its interpretations, as in <see cref="Dissipation"/>.
/// </summary>
public abstract partial record Conservation : IOperator<Conservation>
{
    private Conservation() { }

    /// <summary>The antisymmetric side of the algebra: scalings of either sign, drawn log-uniformly with a random sign.</summary>
    internal static readonly OperatorSide<Conservation> Side = new("conservation", Constraint.Free,
        t => new Sum(t), (c, inner) => new Scaled(c, inner), (l, inner) => new Congruence(l, inner), op => new Custom(op),
        c => RandomMembers.P(c.Rng, RandomMembers.Signed(c.Rng, RandomMembers.Scale(c.Rng, c.Options))));

    /// <summary>The compiled operator g -> W(u) g.</summary>
    internal abstract CompiledOperator<Conservation> CompileIn(OperatorContext c);
    /// <summary>How it prints inside a member's formula.</summary>
    internal abstract string FormulaText { get; }
    /// <summary>Promise: W 1_f = 0 on every field (mass is a Casimir for every energy).</summary>
    internal abstract bool PromisesMass { get; }
    /// <summary>Promise: W commutes with grid shifts.</summary>
    internal abstract bool PromisesShiftEquivariance { get; }
    /// <summary>Checks field indices, axes and sizes against the member; throws naming the path <paramref name="at"/>.</summary>
    internal abstract void ValidateIn(Grid g, int fields, string at);
    /// <summary>Its model.json object (arrays longer than the writer's limit go to weights.bin, in encoding order).</summary>
    internal abstract JsonNode EncodeWith(ModelJson.Writer w, string path);

    CompiledOperator<Conservation> IOperator<Conservation>.CompileIn(OperatorContext c) => CompileIn(c);
    string IOperator<Conservation>.FormulaText => FormulaText;
    bool IOperator<Conservation>.PromisesMass => PromisesMass;
    bool IOperator<Conservation>.PromisesShiftEquivariance => PromisesShiftEquivariance;
    void IOperator<Conservation>.ValidateIn(Grid g, int fields, string at) => ValidateIn(g, fields, at);
    JsonNode IOperator<Conservation>.EncodeWith(ModelJson.Writer w, string path) => EncodeWith(w, path);

    /// <summary>Fourier multiplier i phi_k with an odd symbol, one phi per rfft mode (same on every field).</summary>
    public sealed record Multiplier(ParamArray Phi) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The multiplier coefficients phi.</summary>
        public ParamArray Phi { get; init => field = Checks.NotNull(value, "phi"); } = Checks.NotNull(Phi, "phi");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "multiplier";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Multiplier(r.Array(o, "phi", p)));
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Leaf(0, c =>
            new Multiplier(RandomMembers.Array(c.Rng, Spectral.ModeCount(c.Grid), () => RandomMembers.Signed(c.Rng, RandomMembers.Scale(c.Rng, c.Options)))));

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c)
        {
            var grid = c.Grid;
            var phi = c.Store.Array(Phi, Constraint.Free, c.Name + ".phi");
            return new((u, g) => Spectral.ApplyImaginary(g, Spectral.Expand(phi.Get(), grid, true), grid), () => this with { Phi = phi.Snapshot() })
            { Symbol = () => { var p = Spectral.Expand(phi.Get(), grid, true); return complex(zeros_like(p), p); } };
        }

        internal override string FormulaText => "i phi(k)";
        internal override bool PromisesMass => true;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckModes(Phi, g, "conservation multiplier", at + ".phi");
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["phi"] = w.Array(Phi) };
    }

    /// <summary>sum_j c_j (S^j - S^-j) / h^Order along an axis (transport, Airy: D1 = [1/2] order 1, D3 = [-1, 1/2] order 3).</summary>
    public sealed record Stencil(ParamArray C, int Order, int Axis = 0) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The stencil coefficients c.</summary>
        public ParamArray C { get; init => field = Checks.NotNull(value, "c"); } = Checks.NotNull(C, "c");
        /// <summary>The power of 1/h, 0 to <see cref="MaxOrder"/> (a higher power overflows on fine grids).</summary>
        public int Order { get; init => field = Ordered(value); } = Ordered(Order);

        /// <summary>The highest power of 1/h a stencil may carry.</summary>
        public const int MaxOrder = 8;

        private static int Ordered(int order) =>
            order is >= 0 and <= MaxOrder ? order : throw Checks.Invalid("order", $"A stencil's order (the power of 1/h) is 0 to {MaxOrder}, got {order}.");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "stencil";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new Stencil(r.Array(o, "c", p), r.Int(o, "order", p), r.Int(o, "axis", p)));
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Leaf(1, c =>
        {
            int axis = c.Rng.Next(c.Grid.Dimensions);
            return new Stencil(RandomMembers.Array(c.Rng, c.Rng.Next(1, Math.Min(2, (c.Grid.Points[axis] - 1) / 2) + 1), () => RandomMembers.Signed(c.Rng, 1)),
                               c.Rng.Next(1, 4), axis);
        });

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c)
        {
            var k = c.Store.Array(C, Constraint.Free, c.Name + ".c");
            var (grid, store) = (c.Grid, c.Store);
            double scale = Math.Pow(grid.Spacing(Axis), -Order);
            int n = C.Length;
            return new((u, g) => (OperatorCompiler.Circulant(g, k.Get(), n, 1, Axis, false) - OperatorCompiler.Circulant(g, k.Get(), n, 1, Axis, true)).Times(scale),
                       () => this with { C = k.Snapshot() }) { Symbol = () => OperatorCompiler.OddCirculantSymbol(grid, k.Get(), Axis, store).Times(scale) };
        }

        internal override string FormulaText => Order == 1 && C.Length == 1 && C[0] == 0.5 ? "D1"
                                              : Order == 3 && C.Length == 2 && C[0] == -1 && C[1] == 0.5 ? "D3"
                                              : $"sum c_j (S^j - S^-j)/{Formula.Power("h", Order)}";
        internal override bool PromisesMass => true;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckAxis(Axis, g, "stencil", at);
            Structure.CheckBand(C.Length, g, Axis, at + ".c");
        }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["c"] = w.Array(C), ["order"] = Order, ["axis"] = Axis };
    }

    /// <summary>(diag(b(u)) D + D diag(b(u)))/2: state-dependent transport (Burgers b = 2u/3, KdV b = 4u). D is the
    /// central difference D1 (the default) or the spectral derivative; either is antisymmetric, so the sum is.</summary>
    public sealed record Advection(Scalar B, int Axis = 0, DifferenceKind Derivative = DifferenceKind.Central) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The advecting scalar b.</summary>
        public Scalar B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");
        /// <summary>The first-derivative difference used.</summary>
        public DifferenceKind Derivative { get; init => field = FirstDerivative(value); } = FirstDerivative(Derivative);

        private static DifferenceKind FirstDerivative(DifferenceKind d) =>
            Checks.Defined(d, "The advection's derivative", "derivative") is DifferenceKind.Central or DifferenceKind.Spectral ? d
                : throw Checks.Invalid("derivative", $"An advection's derivative is central or spectral (antisymmetric first derivatives), got {d}.");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "advection";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new Advection(r.Scalar(r.Obj(o, "b", p), p + ".b"), r.Int(o, "axis", p),
                                                          o.ContainsKey("derivative") ? ModelJson.Reader.Enum<DifferenceKind>(o, "derivative", p) : DifferenceKind.Central));
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Leaf(2, c =>
            new Advection(RandomMembers.RandomScalar(c.Rng), c.Rng.Next(c.Grid.Dimensions)));

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c)
        {
            var b = Pointwise.Compile(B, c.Store, c.Name + ".b");
            var grid = c.Grid;
            return new((u, g) =>
            {
                var bu = b.Apply(u);
                return (bu * Stencils.Apply(Derivative, g, grid, Axis)).Plus(Stencils.Apply(Derivative, bu * g, grid, Axis)).Times(0.5);
            }, () => new Advection(b.Snapshot(), Axis, Derivative));
        }

        internal override string FormulaText => Derivative == DifferenceKind.Central
            ? $"(b D1 + D1 b)/2 [b = {Formula.Of(B, "u")}]" : $"(b d + d b)/2 [b = {Formula.Of(B, "u")}]";
        internal override bool PromisesMass => false;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckAxis(Axis, g, "advection", at);

        // The derivative is written only when it is not the default central one, so older files keep their bytes.
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path)
        {
            var o = new JsonObject { ["type"] = Tag, ["b"] = w.Scalar(B), ["axis"] = Axis };
            if (Derivative != DifferenceKind.Central) o["derivative"] = ModelJson.Name(Derivative);
            return o;
        }
    }

    /// <summary>A - A^T with A = sum_j a_j S^j (j = 1..) along an axis.</summary>
    public sealed record Banded(ParamArray A, int Axis = 0) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The band coefficients a.</summary>
        public ParamArray A { get; init => field = Checks.NotNull(value, "a"); } = Checks.NotNull(A, "a");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "banded";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Banded(r.Array(o, "a", p), r.Int(o, "axis", p)));
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Leaf(3, c =>
        {
            int axis = c.Rng.Next(c.Grid.Dimensions);
            return new Banded(RandomMembers.Array(c.Rng, c.Rng.Next(1, Math.Min(3, (c.Grid.Points[axis] - 1) / 2) + 1),
                                                  () => RandomMembers.Signed(c.Rng, RandomMembers.Scale(c.Rng, c.Options))), axis);
        });

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c)
        {
            var k = c.Store.Array(A, Constraint.Free, c.Name + ".a");
            var (grid, store) = (c.Grid, c.Store);
            int n = A.Length;
            return new((u, g) => OperatorCompiler.Circulant(g, k.Get(), n, 1, Axis, false) - OperatorCompiler.Circulant(g, k.Get(), n, 1, Axis, true),
                       () => this with { A = k.Snapshot() }) { Symbol = () => OperatorCompiler.OddCirculantSymbol(grid, k.Get(), Axis, store) };
        }

        internal override string FormulaText => $"A - A^T[{A.Length}]";
        internal override bool PromisesMass => true;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckAxis(Axis, g, "banded conservation", at);
            Structure.CheckBand(A.Length, g, Axis, at + ".a");
        }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["a"] = w.Array(A), ["axis"] = Axis };
    }

    /// <summary>The block [[0, -I], [I, 0]] on fields (Q, P): q_t = dE/dp, p_t = -dE/dq.</summary>
    public sealed record Symplectic(int Q, int P) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The position field (&gt;= 0; below the member's field count, checked by <see cref="Model"/>); fixed at construction, as is <see cref="P"/>.</summary>
        public int Q { get; } = Checks.AtLeast(Q, 0, "The symplectic block's q", "q");
        /// <summary>The momentum field, another than <see cref="Q"/>.</summary>
        public int P { get; } = P >= 0 && P != Q ? P : throw Checks.Invalid("p", $"The symplectic block needs two different fields >= 0, got q = {Q}, p = {P}.");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "symplectic";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Symplectic(r.Int(o, "q", p), r.Int(o, "p", p)));
        /// <summary>The two-field blocks share one draw: this or a <see cref="Coupling"/>, and on one field a transport D1 instead.</summary>
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Leaf(4, c =>
            c.Fields > 1 ? (c.Rng.Next(2) == 0 ? new Symplectic(0, 1) : Coupling.Draw(c)) : new Stencil(ParamArray.Fixed(0.5), 1));

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c)
        {
            int fields = c.Fields;
            return new((u, g) =>
            {
                var parts = Enumerable.Range(0, fields).Select(f => f == Q ? -g.select(1, P) : f == P ? g.select(1, Q) : zeros_like(g.select(1, f))).ToArray();
                return stack(parts, 1);
            }, () => this);
        }

        internal override string FormulaText => $"[[0,-I],[I,0]]({Q},{P})";
        internal override bool PromisesMass => false;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckField(Q, fields, "symplectic block", at + ".q"); Structure.CheckField(P, fields, "symplectic block", at + ".p");
            if (Q == P) throw Checks.Invalid(at + ".p", $"The symplectic block needs two different fields, got q = p = {P}.");
        }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["q"] = Q, ["p"] = P };
    }

    /// <summary>The block [[0, D], [D, 0]] on fields (A, B) with D antisymmetric (central or spectral derivative).</summary>
    public sealed record Coupling(int A, int B, DifferenceKind D = DifferenceKind.Central, int Axis = 0) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The first field (&gt;= 0; below the member's field count, checked by <see cref="Model"/>); fixed at construction, as is <see cref="B"/>.</summary>
        public int A { get; } = Checks.AtLeast(A, 0, "The coupling block's a", "a");
        /// <summary>The second field, another than <see cref="A"/>.</summary>
        public int B { get; } = B >= 0 && B != A ? B : throw Checks.Invalid("b", $"The coupling block needs two different fields >= 0, got a = {A}, b = {B}.");
        /// <summary>The antisymmetric difference D.</summary>
        public DifferenceKind D { get; init => field = Antisymmetric(value); } = Antisymmetric(D);

        private static DifferenceKind Antisymmetric(DifferenceKind d) => d is DifferenceKind.Central or DifferenceKind.Spectral or DifferenceKind.Third
            ? d : throw Checks.Invalid("d", $"The coupling block needs an antisymmetric derivative (central, third or spectral), got {d}.");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "coupling";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new Coupling(r.Int(o, "a", p), r.Int(o, "b", p), ModelJson.Reader.Enum<DifferenceKind>(o, "d", p), r.Int(o, "axis", p)));
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.DrawnBy(typeof(Symplectic));

        /// <summary>A random coupling of fields 0 and 1 (drawn by <see cref="Symplectic"/>'s rule).</summary>
        internal static Coupling Draw(RandomDraw c) =>
            new(0, 1, c.Rng.Next(2) == 0 ? DifferenceKind.Central : DifferenceKind.Spectral, c.Rng.Next(c.Grid.Dimensions));

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c)
        {
            var (grid, fields) = (c.Grid, c.Fields);
            return new((u, g) =>
            {
                var d = Stencils.Apply(D, g, grid, Axis);
                var parts = Enumerable.Range(0, fields).Select(f => f == A ? d.select(1, B) : f == B ? d.select(1, A) : zeros_like(g.select(1, f))).ToArray();
                return stack(parts, 1);
            }, () => this);
        }

        internal override string FormulaText => $"[[0,{D}],[{D},0]]({A},{B})";
        internal override bool PromisesMass => true;
        internal override bool PromisesShiftEquivariance => true;
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckField(A, fields, "coupling block", at + ".a"); Structure.CheckField(B, fields, "coupling block", at + ".b"); Structure.CheckAxis(Axis, g, "coupling block", at);
            if (A == B) throw Checks.Invalid(at + ".b", $"The coupling block needs two different fields, got a = b = {B}.");
        }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["a"] = A, ["b"] = B, ["d"] = ModelJson.Name(D), ["axis"] = Axis };
    }

    /// <summary>B C^T - C B^T with B and C dense n x Rank matrices (n = fields x sites, row-major): the conservation of
    /// OnsagerNet (Yu et al. 2021) with constant factors.</summary>
    public sealed record LowRank(int Rank, ParamArray B, ParamArray C) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The number of columns of B and C (&gt;= 1); fixed at construction (the member checks their sizes against it).</summary>
        public int Rank { get; } = Checks.AtLeast(Rank, 1, "A low-rank operator's rank", "rank");
        /// <summary>The low-rank factor B.</summary>
        public ParamArray B { get; init => field = Checks.NotNull(value, "b"); } = Checks.NotNull(B, "b");
        /// <summary>The low-rank factor C.</summary>
        public ParamArray C { get; init => field = Checks.NotNull(value, "c"); } = Checks.NotNull(C, "c");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "low-rank";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new LowRank(r.Int(o, "rank", p), r.Array(o, "b", p), r.Array(o, "c", p)));
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } =
            new RandomRule<Conservation>.Never("its factors have fields x sites x rank numbers fixed by the grid: OnsagerNet's family (Families) builds it");

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c)
        {
            var b = c.Store.Array(B, Constraint.Free, c.Name + ".B");
            var k = c.Store.Array(C, Constraint.Free, c.Name + ".C");
            return new((u, g) => OperatorCompiler.LowRankProduct(g, b.Get(), k.Get(), Rank) - OperatorCompiler.LowRankProduct(g, k.Get(), b.Get(), Rank),
                       () => this with { B = b.Snapshot(), C = k.Snapshot() });
        }

        internal override string FormulaText => $"B C^T - C B^T[rank {Rank}]";
        internal override bool PromisesMass => false;                      // dense factors need not annihilate constants
        internal override bool PromisesShiftEquivariance => false;         // dense: it sees the sites in their order
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckLowRank(B, Rank, g, fields, "low-rank conservation's B", at + ".b");
            Structure.CheckLowRank(C, Rank, g, fields, "low-rank conservation's C", at + ".c");
        }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["rank"] = Rank, ["b"] = w.Array(B), ["c"] = w.Array(C) };
    }

    /// <summary>W1 + W2 + ... (a linear space, L1).</summary>
    public sealed record Sum(ImmutableArray<Conservation> Terms) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The summed conservations.</summary>
        public ImmutableArray<Conservation> Terms { get; init => field = Checks.Elements(value); } = Checks.Elements(Terms);

        /// <inheritdoc />
        public bool Equals(Sum? other) => other is not null && Terms.SequenceEqual(other.Terms);
        /// <inheritdoc />
        public override int GetHashCode() => Terms.Aggregate(7, (h, t) => h * 31 + t.GetHashCode());

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "sum";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeSum(Side, r, o, p);
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Combinator(0, c => Combinators.DrawSum(Side, c));

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c) => Combinators.CompileSum(Side, Terms, c);
        internal override string FormulaText => Combinators.FormatSum(Terms);
        internal override bool PromisesMass => Combinators.MassOfSum(Terms);
        internal override bool PromisesShiftEquivariance => Combinators.ShiftOfSum(Terms);
        internal override void ValidateIn(Grid g, int fields, string at) => Combinators.ValidateSum(Terms, g, fields, at);
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => Combinators.EncodeSum(Terms, w, path);
    }

    /// <summary>c W, any real c.</summary>
    public sealed record Scaled(Param C, Conservation Inner) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The scale c.</summary>
        public Param C { get; init => field = Checks.NotNull(value, "c"); } = Checks.NotNull(C, "c");
        /// <summary>The scaled conservation.</summary>
        public Conservation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "scaled";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeScaled(Side, r, o, p);
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Combinator(1, c => Combinators.DrawScaled(Side, c));

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c) => Combinators.CompileScaled(Side, C, Inner, c);
        internal override string FormulaText => Combinators.FormatScaled(C, Inner);
        internal override bool PromisesMass => Inner.PromisesMass;
        internal override bool PromisesShiftEquivariance => Inner.PromisesShiftEquivariance;
        internal override void ValidateIn(Grid g, int fields, string at) => Inner.ValidateIn(g, fields, at + ".inner");
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => Combinators.EncodeScaled(C, Inner, w, path);
    }

    /// <summary>L^T W L.</summary>
    public sealed record Congruence(Linear L, Conservation Inner) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The linear operator L.</summary>
        public Linear L { get; init => field = Checks.NotNull(value, "l"); } = Checks.NotNull(L, "l");
        /// <summary>The conservation W in L^T W L.</summary>
        public Conservation Inner { get; init => field = Checks.NotNull(value, "inner"); } = Checks.NotNull(Inner, "inner");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "congruence";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeCongruence(Side, r, o, p);
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Combinator(2, c => Combinators.DrawCongruence(Side, c));

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c) => Combinators.CompileCongruence(Side, L, Inner, c);
        internal override string FormulaText => Combinators.FormatCongruence(L, Inner);
        internal override bool PromisesMass => Combinators.MassOfCongruence(L, Inner);
        internal override bool PromisesShiftEquivariance => Inner.PromisesShiftEquivariance;
        internal override void ValidateIn(Grid g, int fields, string at) => Combinators.ValidateCongruence(L, Inner, g, fields, at);
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => Combinators.EncodeCongruence(L, Inner, w, path);
    }

    /// <summary>A user's own operator promised antisymmetric: the laws check it.</summary>
    public sealed record Custom(ICustomOperator Operator) : Conservation, IPrimitive<Conservation>
    {
        /// <summary>The user-supplied operator.</summary>
        public ICustomOperator Operator { get; init => field = Checks.NotNull(value, "operator"); } = Checks.NotNull(Operator, "operator");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "custom";
        static Conservation IPrimitive<Conservation>.Decode(ModelJson.Reader r, JsonObject o, string p) => Combinators.DecodeCustom(Side, p);
        static RandomRule<Conservation> IPrimitive<Conservation>.Random { get; } = new RandomRule<Conservation>.Never("a user's code, not data the generator can make");

        internal override CompiledOperator<Conservation> CompileIn(OperatorContext c) => Combinators.CompileCustom<Conservation>(Operator, this, c);
        internal override string FormulaText => Operator.Formula;
        internal override bool PromisesMass => Operator.ConservesMass;
        internal override bool PromisesShiftEquivariance => Operator.ShiftEquivariant;
        internal override void ValidateIn(Grid g, int fields, string at) { }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => w.Custom(path, "Conservation.Custom", Operator.Formula, Operator);
    }

    /// <summary>The sum of two conservations (nested sums are flattened).</summary>
    public static Conservation operator +(Conservation a, Conservation b) => new Sum(Flatten(a).Concat(Flatten(b)).ToImmutableArray());

    private static IEnumerable<Conservation> Flatten(Conservation c) => c is Sum s ? s.Terms : [c];

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this);
}
