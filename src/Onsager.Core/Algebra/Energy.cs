using System.Collections.Immutable;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Onsager.Algebra;

/// <summary>How a gradient energy discretises the derivative.</summary>
public enum Derivative
{
    /// <summary>Forward difference D+ = (S - I)/h.</summary>
    Forward,
    /// <summary>Spectral derivative (Nyquist mode dropped).</summary>
    Spectral,
}

/// <summary>
/// A coercive pointwise density on one field: anchor(s) &gt;= c s^2 - C with c &gt; 0. Every energy has one per field,
/// which is what makes global existence hold (docs/theory.md, section 3.4: bounded below is not enough).
/// Each anchor carries all its interpretations (compile, formula, coercivity bound, model.json, random draw), as the
/// operator primitives do (Primitives.cs).
/// </summary>
public abstract partial record Anchor
{
    private Anchor() { }

    /// <summary>The field this anchor makes coercive.</summary>
    public abstract int On { get; }

    /// <summary>The compiled density: value, closed-form dE and the parts the discrete gradient treats apart.</summary>
    internal abstract CompiledPiece<Anchor> CompileIn(EnergyContext c);
    /// <summary>How it prints inside an energy's formula.</summary>
    internal abstract string FormulaText { get; }
    /// <summary>Its coercivity: anchor(s) &gt;= C s^2 - Const pointwise, C &gt; 0 (Coercivity's certificate).</summary>
    internal abstract (double C, double Const) Bound { get; }
    /// <summary>Its coefficient a: the gauge's representative divides the energy by the first anchor's (Gauge).</summary>
    internal abstract double Scale { get; }
    /// <summary>Its model.json object (arrays longer than the writer's limit go to weights.bin, in encoding order).</summary>
    internal abstract JsonNode EncodeWith(ModelJson.Writer w, string path);

    /// <summary>a/2 s^2, a &gt; 0.</summary>
    public sealed record Quadratic(Param A, int Field = 0) : Anchor, IPrimitive<Anchor>
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The quadratic anchor's a"); } = Positive(A, "The quadratic anchor's a");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "quadratic";
        static Anchor IPrimitive<Anchor>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Quadratic(r.Param(o, "a", p), r.Int(o, "field", p)));
        static RandomRule<Anchor> IPrimitive<Anchor>.Random { get; } = new RandomRule<Anchor>.Leaf(0, c => new Quadratic(RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)), c.Field));

        /// <inheritdoc />
        public override int On => Field;

        internal override CompiledPiece<Anchor> CompileIn(EnergyContext c)
        {
            var h = c.Store.Scalar(A, Constraint.Positive, c.Name + ".a");
            var store = c.Store; int modes = Spectral.ModeCount(c.Grid);
            return EnergyCompiler.QuadraticPiece<Anchor>(Field, c.Grid, s => h.Get() * s, () => h.Get() * ones(modes, store.DType, store.Device), () => this with { A = h.Snapshot() });
        }

        internal override string FormulaText => $"{A}/2 {Formula.U(Field)}^2";
        internal override (double C, double Const) Bound => (A.Value / 2, 0);
        internal override double Scale => A.Value;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["a"] = ModelJson.Writer.Param(A), ["field"] = Field };
    }

    /// <summary>a s^4, a &gt; 0.</summary>
    public sealed record Quartic(Param A, int Field = 0) : Anchor, IPrimitive<Anchor>
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The quartic anchor's a"); } = Positive(A, "The quartic anchor's a");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "quartic";
        static Anchor IPrimitive<Anchor>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Quartic(r.Param(o, "a", p), r.Int(o, "field", p)));
        static RandomRule<Anchor> IPrimitive<Anchor>.Random { get; } = new RandomRule<Anchor>.Leaf(1, c => new Quartic(RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)), c.Field));

        /// <inheritdoc />
        public override int On => Field;

        internal override CompiledPiece<Anchor> CompileIn(EnergyContext c)
        {
            var h = c.Store.Scalar(A, Constraint.Positive, c.Name + ".a");
            return EnergyCompiler.DensityPiece<Anchor>(Field, c.Grid, s => h.Get() * s.Power(4), s => h.Get().Times(4) * s.Power(3), () => this with { A = h.Snapshot() });
        }

        internal override string FormulaText => Formula.Times(A, $"{Formula.U(Field)}^4");
        internal override (double C, double Const) Bound => (2 * A.Value, A.Value);                          // s^4 >= 2 s^2 - 1
        internal override double Scale => A.Value;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["a"] = ModelJson.Writer.Param(A), ["field"] = Field };
    }

    /// <summary>a (s^2 - w^2)^2, a &gt; 0: the Allen-Cahn and Cahn-Hilliard double well.</summary>
    public sealed record DoubleWell(Param A, Param Well, int Field = 0) : Anchor, IPrimitive<Anchor>
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The double well's a"); } = Positive(A, "The double well's a");
        /// <summary>The well position.</summary>
        public Param Well { get; init => field = Checks.NotNull(value, "well"); } = Checks.NotNull(Well, "well");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "double-well";
        static Anchor IPrimitive<Anchor>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new DoubleWell(r.Param(o, "a", p), r.Param(o, "well", p), r.Int(o, "field", p)));
        static RandomRule<Anchor> IPrimitive<Anchor>.Random { get; } = new RandomRule<Anchor>.Leaf(2, c =>
            new DoubleWell(RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)), RandomMembers.P(c.Rng, RandomMembers.LogUniform(c.Rng, 0.1, 3)), c.Field));

        /// <inheritdoc />
        public override int On => Field;

        internal override CompiledPiece<Anchor> CompileIn(EnergyContext c)
        {
            var h = c.Store.Scalar(A, Constraint.Positive, c.Name + ".a");
            var w = c.Store.Scalar(Well, Constraint.Free, c.Name + ".well");
            return EnergyCompiler.DensityPiece<Anchor>(Field, c.Grid, s => h.Get() * (s.Squared() - w.Get().Squared()).Squared(),
                                                       s => h.Get().Times(4) * s * (s.Squared() - w.Get().Squared()),
                                                       () => this with { A = h.Snapshot(), Well = w.Snapshot() });
        }

        internal override string FormulaText => Formula.Times(A, $"({Formula.U(Field)}^2 - {Formula.Squared(Well)})^2");
        internal override (double C, double Const) Bound
        {
            get
            {
                double a0 = A.Value, w2 = Well.Value * Well.Value;                                            // s^4 >= 2 t s^2 - t^2, t = w^2 + 1
                return (2 * a0, a0 * (2 * w2 + 1));
            }
        }
        internal override double Scale => A.Value;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["a"] = ModelJson.Writer.Param(A), ["well"] = ModelJson.Writer.Param(Well), ["field"] = Field };
    }

    /// <summary>a s^4 + c1 s + c2 s^2 + c3 s^3 + G(s), a &gt; 0, G a bounded network: coercive yet fits any double well.</summary>
    public sealed record CoerciveNetwork(Param A, ParamArray Cubic, Network G, int Field = 0) : Anchor, IPrimitive<Anchor>
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The coercive network's a"); } = Positive(A, "The coercive network's a");
        /// <summary>The cubic part's coefficients.</summary>
        public ParamArray Cubic { get; init => field = CubicPart(value); } = CubicPart(Cubic);
        /// <summary>The bounded one-input network g.</summary>
        public Network G { get; init => field = BoundedOneInput(value); } = BoundedOneInput(G);

        private static ParamArray CubicPart(ParamArray c) =>
            Checks.NotNull(c, "cubic").Length == 3 ? c : throw Checks.Invalid("cubic", $"The cubic part has 3 coefficients (s, s^2, s^3), got {c.Length}.");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "coercive-network";
        static Anchor IPrimitive<Anchor>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new CoerciveNetwork(r.Param(o, "a", p), r.Array(o, "cubic", p), r.Network(o, "g", p), r.Int(o, "field", p)));
        static RandomRule<Anchor> IPrimitive<Anchor>.Random { get; } = new RandomRule<Anchor>.Leaf(3, c =>
            new CoerciveNetwork(RandomMembers.P(c.Rng, RandomMembers.LogUniform(c.Rng, 1e-2, 1e2)), RandomMembers.Array(c.Rng, 3, () => RandomMembers.Signed(c.Rng, 1)),
                                RandomMembers.Net(c.Rng, 1, Head.Bounded), c.Field));

        /// <inheritdoc />
        public override int On => Field;

        internal override CompiledPiece<Anchor> CompileIn(EnergyContext c)
        {
            var h = c.Store.Scalar(A, Constraint.Positive, c.Name + ".a");
            var cubic = c.Store.Array(Cubic, Constraint.Free, c.Name + ".cubic");
            var g = Pointwise.CompileScalarNetwork(G, c.Store, c.Name + ".G");
            var (density, derivative) = EnergyCompiler.NetworkDensity(g, c.Tabulation);
            return EnergyCompiler.DensityPiece<Anchor>(Field, c.Grid, s =>
            {
                var k = cubic.Get();
                return (h.Get() * s.Power(4)).Plus(s * k[0].Plus(s * k[1].Plus(s * k[2]))).Plus(density(s));
            }, s =>
            {
                var k = cubic.Get();
                return (h.Get().Times(4) * s.Power(3)).Plus(k[0]).Plus(s * k[1].Times(2).Plus(s.Times(3) * k[2])).Plus(derivative(s));
            }, () => this with { A = h.Snapshot(), Cubic = cubic.Snapshot(), G = g.Snapshot() });
        }

        internal override string FormulaText => Formula.Times(A, $"{Formula.U(Field)}^4") + $" + cubic({Formula.U(Field)}) + G({Formula.U(Field)})";
        internal override (double C, double Const) Bound
        {
            get
            {
                double a0 = A.Value;
                // a s^4 + c1 s + c2 s^2 + c3 s^3 - a s^2 >= min (certified), G >= -||w_out||_1
                double min = Polynomials.LowerBound([0, Cubic[0], Cubic[1] - a0, Cubic[2], a0]);
                return (a0, -min + G.OutputL1);
            }
        }
        internal override double Scale => A.Value;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["a"] = ModelJson.Writer.Param(A), ["cubic"] = w.Array(Cubic), ["g"] = w.Network(G), ["field"] = Field };
    }

    /// <summary>a/2 s^2 + G(s), G bounded (sine head, no output bias): the reference's pointwise energy.</summary>
    public sealed record SineNetwork(Param A, Network G, int Field = 0) : Anchor, IPrimitive<Anchor>
    {
        /// <summary>The positive coefficient a.</summary>
        public Param A { get; init => field = Positive(value, "The sine network's a"); } = Positive(A, "The sine network's a");
        /// <summary>The bounded one-input network g.</summary>
        public Network G { get; init => field = BoundedOneInput(value); } = BoundedOneInput(G);

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "sine-network";
        static Anchor IPrimitive<Anchor>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new SineNetwork(r.Param(o, "a", p), r.Network(o, "g", p), r.Int(o, "field", p)));
        static RandomRule<Anchor> IPrimitive<Anchor>.Random { get; } = new RandomRule<Anchor>.Leaf(4, c =>
            new SineNetwork(RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)), RandomMembers.Net(c.Rng, 1, Head.Bounded), c.Field));

        /// <inheritdoc />
        public override int On => Field;

        internal override CompiledPiece<Anchor> CompileIn(EnergyContext c)
        {
            var h = c.Store.Scalar(A, Constraint.Positive, c.Name + ".a");
            var (grid, store) = (c.Grid, c.Store);
            int modes = Spectral.ModeCount(grid);
            // Split into the quadratic a/2 s^2 (treated exactly and implicitly by DG and SBDF1) and the bounded density G.
            var g = Pointwise.CompileScalarNetwork(G, store, c.Name + ".G");
            var (density, derivative) = EnergyCompiler.NetworkDensity(g, c.Tabulation);
            var quad = EnergyCompiler.QuadraticPiece<Anchor>(Field, grid, s => h.Get() * s, () => h.Get() * ones(modes, store.DType, store.Device), () => this);
            var dens = EnergyCompiler.DensityPiece<Anchor>(Field, grid, density, derivative, () => this);
            return new CompiledPiece<Anchor>(u => quad.Value(u).Plus(dens.Value(u)), u => quad.Closed!(u).Plus(dens.Closed!(u)),
                                             () => this with { A = h.Snapshot(), G = g.Snapshot() }) { Parts = quad.Parts.AddRange(dens.Parts) };
        }

        internal override string FormulaText => $"{A}/2 {Formula.U(Field)}^2 + G({Formula.U(Field)})";
        internal override (double C, double Const) Bound => (A.Value / 2, G.OutputL1);
        internal override double Scale => A.Value;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["a"] = ModelJson.Writer.Param(A), ["g"] = w.Network(G), ["field"] = Field };
    }

    private static Param Positive(Param p, string what) { Param.RequirePositive(p, what, "a"); return p; }

    internal static Network BoundedOneInput(Network g, string field = "g") =>
        Checks.NotNull(g, field).Head == Head.Bounded && g.Inputs == 1 ? g
            : throw Checks.Invalid(field, $"G must be a bounded one-input network, got {g}.");

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>
/// An energy term that need not be coercive alone; it only enters an <see cref="Energy"/> beside the anchors.
/// Each term carries all its interpretations (compile, formula, structural facts, coercivity bound, validation,
/// model.json, random draw), as the operator primitives do (Primitives.cs).
/// </summary>
public abstract partial record EnergyTerm
{
    private EnergyTerm() { }

    /// <summary>The compiled term: value, closed-form dE where it has one, and the parts the discrete gradient treats apart.</summary>
    internal abstract CompiledPiece<EnergyTerm> CompileIn(EnergyContext c);
    /// <summary>How it prints inside an energy's formula.</summary>
    internal abstract string FormulaText { get; }
    /// <summary>Promise: the term is invariant under grid shifts, E(S u) = E(u).</summary>
    internal abstract bool PromisesShiftInvariance { get; }
    /// <summary>Checks field indices and sizes against the member; throws naming the path <paramref name="at"/>.</summary>
    internal abstract void ValidateIn(Grid g, int fields, string at);
    /// <summary>The field of each input-convex part (one entry per part): each takes a share of its field's anchor.</summary>
    internal abstract IEnumerable<int> ConvexFields { get; }
    /// <summary>A certified lower bound of scale * term, an input-convex part on field f using <paramref name="share"/>[f] of
    /// its anchor's kappa (Young's inequality: such parts grow at most linearly).</summary>
    internal abstract double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share);
    /// <summary>The user's terms inside it (the energy-lower-bound law checks each one's claimed bound).</summary>
    internal abstract IEnumerable<ICustomEnergy> CustomParts { get; }
    /// <summary>Its model.json object (arrays longer than the writer's limit go to weights.bin, in encoding order).</summary>
    internal abstract JsonNode EncodeWith(ModelJson.Writer w, string path);

    /// <summary>a/2 s^2, a &gt;= 0.</summary>
    public sealed record Quadratic(Param A, int Field = 0) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The nonnegative coefficient a.</summary>
        public Param A { get; init => field = NonNeg(value, "A quadratic term's a", "a"); } = NonNeg(A, "A quadratic term's a", "a");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "quadratic";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Quadratic(r.Param(o, "a", p), r.Int(o, "field", p)));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Leaf(0, c => new Quadratic(RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)), c.Field));

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var h = c.Store.Scalar(A, Constraint.Positive, c.Name + ".a");
            var store = c.Store; int modes = Spectral.ModeCount(c.Grid);
            return EnergyCompiler.QuadraticPiece<EnergyTerm>(Field, c.Grid, s => h.Get() * s, () => h.Get() * ones(modes, store.DType, store.Device), () => this with { A = h.Snapshot() });
        }

        internal override string FormulaText => $"{A}/2 {Formula.U(Field)}^2";
        internal override bool PromisesShiftInvariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckField(Field, fields, "quadratic term", at + ".field");
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => 0;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["a"] = ModelJson.Writer.Param(A), ["field"] = Field };
    }

    /// <summary>kappa/2 |grad u|^2, kappa &gt;= 0.</summary>
    public sealed record Gradient(Param Kappa, Derivative Derivative = Derivative.Spectral, int Field = 0) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The nonnegative gradient coefficient kappa.</summary>
        public Param Kappa { get; init => field = NonNeg(value, "A gradient term's kappa", "kappa"); } = NonNeg(Kappa, "A gradient term's kappa", "kappa");
        /// <summary>The finite difference used for the gradient.</summary>
        public Derivative Derivative { get; init => field = Checks.Defined(value, "The derivative", "derivative"); } = Checks.Defined(Derivative, "The derivative", "derivative");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "gradient";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new Gradient(r.Param(o, "kappa", p), ModelJson.Reader.Enum<Derivative>(o, "derivative", p), r.Int(o, "field", p)));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Leaf(1, c =>
            new Gradient(RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)), c.Rng.Next(2) == 0 ? Derivative.Forward : Derivative.Spectral, c.Field));

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var k = c.Store.Scalar(Kappa, Constraint.Positive, c.Name + ".kappa");
            var (grid, store, d) = (c.Grid, c.Store, Derivative);
            var symbol = Symbols.Laplacian(grid, d == Derivative.Forward ? DifferenceKind.Forward : DifferenceKind.Spectral);
            return EnergyCompiler.QuadraticPiece<EnergyTerm>(Field, grid, s => k.Get() * EnergyCompiler.GradientDerivative(s, grid, d),
                () => k.Get() * tensor(symbol, store.DType, store.Device), () => this with { Kappa = k.Snapshot() });
        }

        internal override string FormulaText => $"{Kappa}/2 |{(Derivative == Derivative.Forward ? "D+" : "grad")} {Formula.U(Field)}|^2";
        internal override bool PromisesShiftInvariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckField(Field, fields, "gradient term", at + ".field");
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => 0;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["kappa"] = ModelJson.Writer.Param(Kappa), ["derivative"] = ModelJson.Name(Derivative), ["field"] = Field };
    }

    /// <summary>sum_j c_j s^j with even degree and positive leading coefficient (bounded below).</summary>
    public sealed record Polynomial(ParamArray Coefficients, int Field = 0) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The polynomial's coefficients (bounded below).</summary>
        public ParamArray Coefficients { get; init => field = BoundedBelow(value); } = BoundedBelow(Coefficients);

        private static ParamArray BoundedBelow(ParamArray c) =>
            Checks.NotNull(c, "coefficients").Length >= 1 && (c.Length - 1) % 2 == 0 && (c.Length == 1 || c[^1] > 0) ? c
                : throw Checks.Invalid("coefficients", "A polynomial energy term needs even degree and a positive leading coefficient (bounded below).");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "polynomial";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Polynomial(r.Array(o, "coefficients", p), r.Int(o, "field", p)));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Leaf(2, c =>
        {
            int degree = c.Rng.Next(2) == 0 ? 2 : 4;
            var k = Enumerable.Range(0, degree + 1).Select(j => j == degree ? RandomMembers.LogUniform(c.Rng, 1e-2, 1e2) : RandomMembers.Signed(c.Rng, 1)).ToImmutableArray();
            return new Polynomial(new ParamArray(k, c.Rng.NextDouble() < 0.5), c.Field);
        });

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            // The leading coefficient stays positive (bounded below); the others are free.
            int n = Coefficients.Length;
            var lower = c.Store.Array(Coefficients with { Values = Coefficients.Values.RemoveAt(n - 1) }, Constraint.Free, c.Name + ".c");
            var lead = c.Store.Scalar(Coefficients.Learned ? new Param.Learned(Coefficients[^1]) : new Param.Fixed(Coefficients[^1]), Constraint.Positive, c.Name + ".lead");
            Tensor All() => n == 1 ? lead.Get().reshape(1) : cat([lower.Get(), lead.Get().reshape(1)]);
            return EnergyCompiler.DensityPiece<EnergyTerm>(Field, c.Grid, s => Pointwise.Horner(All(), s, n),
                s =>
                {
                    if (n == 1) return zeros_like(s);
                    var k = All();
                    var dk = k.narrow(0, 1, n - 1) * Scalars.Range(1, n, k.dtype, k.device);
                    return Pointwise.Horner(dk, s, n - 1);
                },
                () => this with { Coefficients = Coefficients.With(lower.Snapshot().Values.Add(lead.Snapshot().Value)) });
        }

        internal override string FormulaText => "(" + Formula.Poly(Coefficients, Formula.U(Field)) + ")";
        internal override bool PromisesShiftInvariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckField(Field, fields, "polynomial term", at + ".field");
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => scale * grid.Volume * Polynomials.LowerBound(Coefficients.Values);
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["coefficients"] = w.Array(Coefficients), ["field"] = Field };
    }

    /// <summary>integral G(u), G a bounded one-input network.</summary>
    public sealed record LocalNetwork(Network G, int Field = 0) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The bounded one-input network g.</summary>
        public Network G { get; init => field = Anchor.BoundedOneInput(value); } = Anchor.BoundedOneInput(G);

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "local-network";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new LocalNetwork(r.Network(o, "g", p), r.Int(o, "field", p)));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Leaf(3, c => new LocalNetwork(RandomMembers.Net(c.Rng, 1, Head.Bounded), c.Field));

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var g = Pointwise.CompileScalarNetwork(G, c.Store, c.Name + ".G");
            var (density, derivative) = EnergyCompiler.NetworkDensity(g, c.Tabulation);
            return EnergyCompiler.DensityPiece<EnergyTerm>(Field, c.Grid, density, derivative, () => this with { G = g.Snapshot() });
        }

        internal override string FormulaText => $"F({Formula.U(Field)})";
        internal override bool PromisesShiftInvariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckField(Field, fields, "network term", at + ".field");
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => -scale * grid.Volume * G.OutputL1;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["g"] = w.Network(G), ["field"] = Field };
    }

    /// <summary>integral C(u), C an input-convex network (non-negative hidden-to-hidden weights, softplus).</summary>
    public sealed record InputConvex(int Width, int Depth, ParamArray Weights, int Field = 0) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>Units per layer (&gt;= 1); fixed at construction, as it fixes the weight count.</summary>
        public int Width { get; } = Checks.AtLeast(Width, 1, "An input-convex network's width", "width");
        /// <summary>Layers (&gt;= 1); fixed at construction.</summary>
        public int Depth { get; } = Checks.AtLeast(Depth, 1, "An input-convex network's depth", "depth");
        /// <summary>The network weights.</summary>
        public ParamArray Weights { get; init => field = Counted(value, this.Width, this.Depth); } = Counted(Weights, Width, Depth);

        private static ParamArray Counted(ParamArray w, int width, int depth) =>
            Checks.NotNull(w, "weights").Length == Count(width, depth) ? w
                : throw Checks.Invalid("weights", $"An input-convex network {width}x{depth} has {Count(width, depth)} weights, got {w.Length}.");

        /// <summary>Layer 0: W0 (w), b0 (w); layers l&gt;0: U_l (w x w, raw, made non-negative), W_l (w), b_l (w); out: u (w, raw, non-negative), w_s, b.</summary>
        public static int Count(int width, int depth) =>
            Checks.Count((Int128)2 * width + (depth - (Int128)1) * ((Int128)width * width + (Int128)2 * width) + width + 2, $"An input-convex network {width}x{depth}", "width");

        /// <summary>An input-convex term of the given width and depth, weights initialised from the seed.</summary>
        public static InputConvex Create(int width, int depth, int seed, int field = 0)
        {
            var rng = new Random(seed);
            var w = Enumerable.Range(0, Count(width, depth)).Select(_ => (2 * rng.NextDouble() - 1) / Math.Sqrt(width)).ToImmutableArray();
            return new InputConvex(width, depth, new ParamArray(w, true), field);
        }

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "input-convex";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new InputConvex(r.Int(o, "width", p), r.Int(o, "depth", p), r.Array(o, "weights", p), r.Int(o, "field", p)));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Leaf(4, c => Create(c.Rng.Next(2, 6), c.Rng.Next(1, 3), c.Rng.Next(), c.Field));

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var f = Pointwise.CompileConvex(this, c.Store, c.Name);
            return EnergyCompiler.DensityPiece<EnergyTerm>(Field, c.Grid, f.Apply, null, () => f.Snapshot());
        }

        internal override string FormulaText => $"C_convex({Formula.U(Field)})";
        internal override bool PromisesShiftInvariance => true;
        internal override void ValidateIn(Grid g, int fields, string at) => Structure.CheckField(Field, fields, "input-convex term", at + ".field");
        internal override IEnumerable<int> ConvexFields => [Field];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share)
        {
            // scale C(s) >= scale C(0) - scale |C'(0)| |s| >= scale C(0) - q s^2 - scale^2 C'(0)^2 / (4 q)
            var (c0, c1) = AtZero();
            double q = share[Field], vol = grid.Volume;
            return scale * c0 * vol - scale * scale * c1 * c1 * vol / (4 * q);
        }
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["width"] = Width, ["depth"] = Depth, ["weights"] = w.Array(Weights), ["field"] = Field };

        /// <summary>C(0) and C'(0), in float64 with the weights fixed.</summary>
        private (double Value, double Slope) AtZero()
        {
            using var scope = NewDisposeScope();
            var store = new ParameterStore(ScalarType.Float64, CPU);
            var f = Pointwise.CompileConvex(this with { Weights = Weights with { Learned = false } }, store, "c");
            var s = zeros(1, dtype: ScalarType.Float64).requires_grad_(true);
            using var enabled = enable_grad();
            var y = f.Apply(s).sum();
            var g = autograd.grad([y], [s])[0];
            return (y.item<double>(), g.item<double>());
        }
    }

    /// <summary>1/2 &lt;u, C u&gt;_h with C circulant and symbol c_k &gt;= 0 (one value per rfft mode).</summary>
    public sealed record Circulant(ParamArray Symbol, int Field = 0) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The nonnegative Fourier symbol.</summary>
        public ParamArray Symbol { get; init => field = NonNegativeSymbol(value); } = NonNegativeSymbol(Symbol);

        private static ParamArray NonNegativeSymbol(ParamArray s) =>
            Checks.NotNull(s, "symbol").Values.All(v => v >= 0) ? s : throw Checks.Invalid("symbol", "A circulant energy needs a non-negative symbol.");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "circulant";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Circulant(r.Array(o, "symbol", p), r.Int(o, "field", p)));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Leaf(5, c =>
            new Circulant(RandomMembers.Array(c.Rng, Spectral.ModeCount(c.Grid), () => RandomMembers.LogUniform(c.Rng, 1e-3, 1e3)), c.Field));

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var sym = c.Store.Array(Symbol, Constraint.Positive, c.Name + ".symbol");
            var grid = c.Grid;
            return EnergyCompiler.QuadraticPiece<EnergyTerm>(Field, grid,
                s => Spectral.ApplyReal(s.unsqueeze(1), Spectral.Expand(sym.Get(), grid, false), grid).squeeze(1),
                () => Spectral.Expand(sym.Get(), grid, false), () => this with { Symbol = sym.Snapshot() });
        }

        internal override string FormulaText => $"1/2 {Formula.U(Field)} C(k) {Formula.U(Field)}";
        internal override bool PromisesShiftInvariance => true;
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckField(Field, fields, "circulant term", at + ".field");
            Structure.CheckModes(Symbol, g, "circulant energy", at + ".symbol");
        }
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => 0;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["symbol"] = w.Array(Symbol), ["field"] = Field };
    }

    /// <summary>|Omega| G(normalised Fourier coefficients of the lowest modes), G a bounded network with 2 x Modes inputs (1D).</summary>
    public sealed record LowModes(int Modes, Network G, int Field = 0) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The number of modes (&gt;= 1); fixed at construction, as it fixes the network's inputs.</summary>
        public int Modes { get; } = Checks.AtLeast(Modes, 1, "The low-mode energy's modes", "modes");
        /// <summary>The network g on the low modes.</summary>
        public Network G { get; init => field = Fits(value, this.Modes); } = Fits(G, Modes);

        private static Network Fits(Network g, int modes) =>
            Checks.NotNull(g, "g").Head == Head.Bounded && (long)g.Inputs == 2L * modes ? g
                : throw Checks.Invalid("g", $"G must be bounded with 2 x {modes} modes = {2L * modes} inputs, got {g}.");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "low-modes";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new LowModes(r.Int(o, "modes", p), r.Network(o, "g", p), r.Int(o, "field", p)));
        /// <summary>Drawn on 1D grids of at least 6 points; elsewhere this draw gives a quadratic term.</summary>
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Leaf(6, c =>
        {
            if (c.Grid.Dimensions == 1 && c.Grid.Points[0] >= 6)
            {
                int modes = c.Rng.Next(1, Math.Min(4, c.Grid.Points[0] / 2 - 1) + 1);
                return new LowModes(modes, RandomMembers.Net(c.Rng, 2 * modes, Head.Bounded), c.Field);
            }
            return new Quadratic(RandomMembers.P(c.Rng, RandomMembers.Scale(c.Rng, c.Options)), c.Field);
        });

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            // E = |Omega| V(c), c = (Re, Im) of rfft modes 1..m over N = u B^T with B = [cos; -sin](2 pi k i / N) / N
            // (a small matmul instead of an FFT), so dE = (|Omega| / h) grad V(c) B in closed form: no autograd, and
            // training through dE needs one backward pass.
            var v = Pointwise.CompileScalarNetwork(G, c.Store, c.Name + ".V");
            var grid = c.Grid;
            int f = Field, n = grid.Points[0];
            var basis = c.Store.Constant(EnergyCompiler.LowModeBasis(Modes, n)).view(2 * Modes, n);
            return EnergyCompiler.GeneralPiece<EnergyTerm>(u => v.Apply(u.select(1, f).matmul(basis.t())).Times(grid.Volume),
                u => EnergyCompiler.OnField(u, f, v.InputGradient!(u.select(1, f).matmul(basis.t())).matmul(basis).Times(grid.Volume / grid.CellVolume)),
                () => this with { G = v.Snapshot() });
        }

        internal override string FormulaText => $"V(low {Modes} modes of {Formula.U(Field)})";
        internal override bool PromisesShiftInvariance => false;                // a network of (Re, Im) of modes: phases move under shifts
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            Structure.CheckField(Field, fields, "low-mode term", at + ".field");
            if (g.Dimensions != 1) throw Checks.Invalid(at, "The low-mode energy is defined on 1D grids.");
            if (Modes < 1 || Modes >= g.Points[0] / 2) throw Checks.Invalid(at + ".modes", $"The low-mode energy needs 1 <= modes < N/2 = {g.Points[0] / 2}, got {Modes}.");
        }
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => -scale * grid.Volume * G.OutputL1;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["modes"] = Modes, ["g"] = w.Network(G), ["field"] = Field };
    }

    /// <summary>|Omega| G(u), G a bounded network of the whole state (fields x sites inputs, flattened as (field, x[, y])):
    /// OnsagerNet's dense energy (Yu et al. 2021), bounded so that an anchor keeps E coercive.</summary>
    public sealed record Dense(Network G) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The bounded network g.</summary>
        public Network G { get; init => field = Bounded(value); } = Bounded(G);

        private static Network Bounded(Network g) =>
            Checks.NotNull(g, "g").Head == Head.Bounded ? g : throw Checks.Invalid("g", "The dense energy's network must be bounded (sine head, no output bias).");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "dense";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) => ModelJson.Reader.Build(p, () => new Dense(r.Network(o, "g", p)));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } =
            new RandomRule<EnergyTerm>.Never("its network takes fields x sites inputs, fixed by the grid: OnsagerNet's family (Families) builds it");

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            // |Omega| G(u): the same scaling as the low-mode term, so dE = (1/h) grad_u E stays O(1) per site.
            var (g, snap) = Pointwise.CompileNetwork(G, c.Store, c.Name + ".V");
            var grid = c.Grid;
            return EnergyCompiler.GeneralPiece<EnergyTerm>(u => g(u.flatten(1)).Times(grid.Volume), null, () => this with { G = snap() });
        }

        internal override string FormulaText => $"V(all {G.Inputs} values of u)";
        internal override bool PromisesShiftInvariance => false;                // a network of the sites in their order
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            if (G.Inputs != (long)fields * g.Sites)
                throw Checks.Invalid(at + ".g.inputs", $"The dense energy's network takes the whole state: {(long)fields * g.Sites} inputs (fields x sites), got {G.Inputs}.");
        }
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => -scale * grid.Volume * G.OutputL1;
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => new JsonObject { ["type"] = Tag, ["g"] = w.Network(G) };
    }

    /// <summary>c E_term, c &gt; 0.</summary>
    public sealed record Scaled(Param C, EnergyTerm Term) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The positive scale c.</summary>
        public Param C { get; init => field = Positive(value); } = Positive(C);
        /// <summary>The scaled term.</summary>
        public EnergyTerm Term { get; init => field = Checks.NotNull(value, "term"); } = Checks.NotNull(Term, "term");

        private static Param Positive(Param c) { Param.RequirePositive(c, "An energy scaling", "c"); return c; }

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "scaled";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new Scaled(r.Param(o, "c", p), r.Term(r.Obj(o, "term", p), p + ".term")));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Combinator(0, c =>
            new Scaled(RandomMembers.P(c.Rng, RandomMembers.LogUniform(c.Rng, 1e-3, 1e3)), Primitives<EnergyTerm>.Draw(c with { Depth = c.Depth - 1 })));

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var k = c.Store.Scalar(C, Constraint.Positive, c.Name + ".scale");
            var inner = Term.CompileIn(c.Part(".inner"));
            return new CompiledPiece<EnergyTerm>(u => k.Get() * inner.Value(u),
                       inner.Closed is null ? null : u => k.Get() * inner.Closed(u),
                       () => new Scaled(k.Snapshot(), inner.Snapshot())) { Parts = inner.Parts.Select(x => x.Scale(k.Get)).ToImmutableArray() };
        }

        internal override string FormulaText => Formula.Times(C, $"({Term.FormulaText})");
        internal override bool PromisesShiftInvariance => Term.PromisesShiftInvariance;
        internal override void ValidateIn(Grid g, int fields, string at) => Term.ValidateIn(g, fields, at + ".term");
        internal override IEnumerable<int> ConvexFields => Term.ConvexFields;
        internal override IEnumerable<ICustomEnergy> CustomParts => Term.CustomParts;
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => Term.LowerBoundIn(grid, scale * C.Value, share);
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["c"] = ModelJson.Writer.Param(C), ["term"] = Term.EncodeWith(w, path + ".term") };
    }

    /// <summary>A sum of energy terms.</summary>
    /// <param name="Terms">The summed terms.</param>
    public sealed record Sum(ImmutableArray<EnergyTerm> Terms) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The summed terms.</summary>
        public ImmutableArray<EnergyTerm> Terms { get; init => field = Elements(value); } = Elements(Terms);

        /// <inheritdoc />
        public bool Equals(Sum? other) => other is not null && Terms.SequenceEqual(other.Terms);
        /// <inheritdoc />
        public override int GetHashCode() => Terms.Aggregate(3, (h, t) => h * 31 + t.GetHashCode());

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "sum";
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) =>
            ModelJson.Reader.Build(p, () => new Sum(ModelJson.Reader.Arr(o, "terms", p).Select((x, i) => r.Term(ModelJson.Reader.AsObj(x, $"{p}.terms[{i}]"), $"{p}.terms[{i}]")).ToImmutableArray()));
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Combinator(1, c =>
            new Sum([Primitives<EnergyTerm>.Draw(c with { Depth = c.Depth - 1 }), Primitives<EnergyTerm>.Draw(c with { Depth = c.Depth - 1 })]));

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var parts = Terms.Select((x, i) => x.CompileIn(c.Part($".{i}"))).ToList();
            return new CompiledPiece<EnergyTerm>(u => parts.Select(p => p.Value(u)).Aggregate((a, b) => a.Plus(b)),
                       parts.All(p => p.Closed is not null) ? u => parts.Select(p => p.Closed!(u)).Aggregate((a, b) => a.Plus(b)) : null,
                       () => new Sum(parts.Select(p => p.Snapshot()).ToImmutableArray())) { Parts = parts.SelectMany(p => p.Parts).ToImmutableArray() };
        }

        internal override string FormulaText => "(" + Formula.Sum(Terms.Select(t => t.FormulaText)) + ")";
        internal override bool PromisesShiftInvariance => Terms.All(t => t.PromisesShiftInvariance);
        internal override void ValidateIn(Grid g, int fields, string at)
        {
            for (int i = 0; i < Terms.Length; i++) Terms[i].ValidateIn(g, fields, $"{at}.terms[{i}]");
        }
        internal override IEnumerable<int> ConvexFields => Terms.SelectMany(t => t.ConvexFields);
        internal override IEnumerable<ICustomEnergy> CustomParts => Terms.SelectMany(t => t.CustomParts);
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => Terms.Sum(x => x.LowerBoundIn(grid, scale, share));
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) =>
            new JsonObject { ["type"] = Tag, ["terms"] = new JsonArray(Terms.Select((x, i) => x.EncodeWith(w, $"{path}.terms[{i}]")).ToArray()) };
    }

    /// <summary>A user's own term; the laws check its promises.</summary>
    public sealed record Custom(ICustomEnergy Term) : EnergyTerm, IPrimitive<EnergyTerm>
    {
        /// <summary>The user-supplied energy term.</summary>
        public ICustomEnergy Term { get; init => field = Checks.NotNull(value, "term"); } = Checks.NotNull(Term, "term");

        /// <summary>The model.json tag of this primitive.</summary>
        public static string Tag => "custom";
        /// <summary>Custom terms are code, not data: their tag reads back as an error.</summary>
        static EnergyTerm IPrimitive<EnergyTerm>.Decode(ModelJson.Reader r, JsonObject o, string p) => throw ModelJson.Reader.UnknownType("energy term", Tag, p);
        static RandomRule<EnergyTerm> IPrimitive<EnergyTerm>.Random { get; } = new RandomRule<EnergyTerm>.Never("a user's code, not data the generator can make");

        internal override CompiledPiece<EnergyTerm> CompileIn(EnergyContext c)
        {
            var grid = c.Grid;
            return EnergyCompiler.GeneralPiece<EnergyTerm>(u => Term.Energy(u, grid),
                       Term.HasVariationalDerivative ? u => Term.VariationalDerivative(u, grid)
                           ?? throw new InvalidOperationException($"The custom term '{Term.Formula}' promised a closed-form derivative and returned none.") : null,
                       () => this);
        }

        internal override string FormulaText => Term.Formula;
        internal override bool PromisesShiftInvariance => Term.ShiftInvariant;
        internal override void ValidateIn(Grid g, int fields, string at) { }
        internal override IEnumerable<int> ConvexFields => [];
        internal override IEnumerable<ICustomEnergy> CustomParts => [Term];
        internal override double LowerBoundIn(Grid grid, double scale, IReadOnlyList<double> share) => scale * Term.LowerBound(grid);
        internal override JsonNode EncodeWith(ModelJson.Writer w, string path) => w.Custom(path, "EnergyTerm.Custom", Term.Formula, Term);
    }

    private static Param NonNeg(Param p, string what, string field) { Param.RequireNonNegative(p, what, field); return p; }

    internal static ImmutableArray<EnergyTerm> Elements(ImmutableArray<EnergyTerm> terms)
    {
        if (terms.IsDefault) return ImmutableArray<EnergyTerm>.Empty;
        for (int i = 0; i < terms.Length; i++) if (terms[i] is null) throw Checks.Invalid($"terms[{i}]", $"Energy term {i} is null.");
        return terms;
    }

    /// <inheritdoc />
    public sealed override string ToString() => Formula.Of(this);
}

/// <summary>
/// A coercive energy: E = Factor * (sum of anchors + sum of terms) + sum_f Shift_f * integral u_f + Offset.
/// The anchors (at least one per field, checked by <see cref="Model"/>) carry coercivity; the terms need only be
/// bounded below (coercive + bounded below is coercive, L6 of docs/theory.md, section 3.7). Factor, Shift and Offset are the gauge
/// coordinates (docs/theory.md, section 3.6: G2, G3, G1).
/// </summary>
public sealed record Energy
{
    /// <summary>At least one anchor (one per field, checked by <see cref="Model"/>).</summary>
    public ImmutableArray<Anchor> Anchors
    {
        get;
        init
        {
            if (value.IsDefaultOrEmpty) throw Checks.Invalid("anchors", "An energy needs a coercive anchor (a s^2 or a s^4 with a > 0) on every field.");
            for (int i = 0; i < value.Length; i++) if (value[i] is null) throw Checks.Invalid($"anchors[{i}]", $"Anchor {i} is null.");
            field = value;
        }
    }

    /// <summary>The energy's terms beyond its anchors.</summary>
    public ImmutableArray<EnergyTerm> Terms { get; init => field = EnergyTerm.Elements(value); }

    /// <summary>The gauge factor G2: positive (a non-positive factor would make E unbounded below or zero).</summary>
    public double Factor
    {
        get;
        init => field = Checks.Number(value, "The energy's factor", "factor") > 0 ? value
            : throw Checks.Invalid("factor", $"The energy's factor must be positive, got {Checks.Show(value)}.");
    } = 1;

    /// <summary>The Casimir shifts G3, one per field at most (any finite numbers).</summary>
    public ImmutableArray<double> Shift
    {
        get;
        init
        {
            if (value.IsDefault) { field = ImmutableArray<double>.Empty; return; }
            for (int i = 0; i < value.Length; i++) Checks.Number(value[i], $"The energy's shift {i}", $"shift[{i}]");
            field = value;
        }
    } = ImmutableArray<double>.Empty;

    /// <summary>The additive constant G1 (any finite number).</summary>
    public double Offset { get; init => field = Checks.Number(value, "The energy's offset", "offset"); }

    /// <summary>An energy with the given anchors and terms.</summary>
    public Energy(ImmutableArray<Anchor> anchors, ImmutableArray<EnergyTerm> terms)
    {
        Anchors = anchors;
        Terms = terms;
    }

    /// <summary>An energy with one anchor and the given terms.</summary>
    public Energy(Anchor anchor, params EnergyTerm[] terms) : this(ImmutableArray.Create(anchor), terms.ToImmutableArray()) { }

    /// <summary>Add a term that is not coercive alone: it can only join an anchored energy.</summary>
    public Energy Plus(EnergyTerm term) => this with { Terms = Terms.Add(term) };

    /// <summary>Sum of two energies (anchors and terms concatenated; both must have the same gauge coordinates).</summary>
    public Energy Plus(Energy other) =>
        Factor == other.Factor ? this with { Anchors = Anchors.AddRange(other.Anchors), Terms = Terms.AddRange(other.Terms), Offset = Offset + other.Offset, Shift = AddShifts(Shift, other.Shift) }
                               : throw new ArgumentException("Add energies with the same factor, or scale the terms instead.");

    /// <summary>lambda E, lambda &gt; 0.</summary>
    public Energy Scale(double lambda) =>
        lambda > 0 && double.IsFinite(lambda) ? this with { Factor = Factor * lambda, Offset = Offset * lambda, Shift = Shift.Select(s => s * lambda).ToImmutableArray() }
                                              : throw new ArgumentException($"An energy can only be scaled by a positive factor, got {lambda}.");

    internal static ImmutableArray<double> AddShifts(ImmutableArray<double> a, ImmutableArray<double> b)
    {
        int n = Math.Max(a.Length, b.Length);
        return Enumerable.Range(0, n).Select(i => (i < a.Length ? a[i] : 0) + (i < b.Length ? b[i] : 0)).ToImmutableArray();
    }

    /// <inheritdoc />
    public bool Equals(Energy? other) =>
        other is not null && Anchors.SequenceEqual(other.Anchors) && Terms.SequenceEqual(other.Terms) &&
        Factor == other.Factor && Shift.SequenceEqual(other.Shift) && Offset == other.Offset;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Anchors.Length, Terms.Length, Factor, Offset);

    /// <inheritdoc />
    public override string ToString() => Formula.Of(this);
}
