namespace Onsager.Properties

// Recipes: small F# values (unions and records of bounded ints and bools) that FsCheck generates and shrinks by
// reflection, and a pure translation into the C# algebra (the same constructors as Onsager.RandomMembers).
// A failing member therefore shrinks to a small recipe (fewer nodes, exponent 0 = scale 1, 8 points) that prints
// readably, and the translation clamps every number into its valid range, so no generated case is discarded.

open System
open System.Collections.Immutable
open FsCheck
open FsCheck.FSharp
open Onsager

// ---------------------------------------------------------------- leaves (size-independent, shrink to a simple value)

/// log10 of a scale. Generated in -6..6 (the extremes 1e-6..1e6 of RandomMembers); shrinks towards 0 (scale 1).
/// Each use clamps it to the range that parameter allows.
type Exponent =
    /// The exponent e (the scale is 10^e).
    | Exponent of int

/// A small signed coefficient k/4 with k in -8..8 (so -2..2); shrinks towards 0.
type Coef =
    /// k (the coefficient is k/4).
    | Coef of int

/// A seed for deterministic weights (networks, per-mode symbols); shrinks towards 0.
type Seed =
    /// The seed.
    | Seed of int

/// Points of a 1D grid, 8..64; shrinks towards 8.
type Points1D =
    /// The number of points.
    | Points1D of int

/// Points per axis of a 2D grid, 4..12; shrinks towards 4.
type Points2D =
    /// The number of points on one axis.
    | Points2D of int

/// Domain length 2 pi 10^(k/3) with k in -2..4 (about 1.35 .. 135); shrinks towards 2 pi.
type Length =
    /// k (the length is 2 pi 10^(k/3)).
    | Length of int

/// A small choice 0..7 (width, axis, kind, order, ...): the translation reduces it modulo what fits the grid.
type Small =
    /// The choice.
    | Small of int

// ---------------------------------------------------------------- the recipe tree

/// A pointwise function b(u) with no sign constraint.
type ScalarR =
    /// A constant 1.5 c.
    | SConstant of Coef
    /// c0 + c1 u + c2 u^2.
    | SPolynomial of Coef * Coef * Coef
    /// A small network b(u) with seeded weights.
    | SNetwork of Seed * width: Small

/// A pointwise function that is non-negative by construction.
type NonNegR =
    /// A constant 10^e (fixed or learned).
    | NConstant of Exponent * learned: bool
    /// softplus(b(u)).
    | NSoftplus of ScalarR
    /// b(u)^2.
    | NSquare of ScalarR
    /// max(b(u), floor / 8).
    | NAtLeast of floor: Small * ScalarR
    /// A small network with a positive head, seeded weights.
    | NNetwork of Seed * width: Small

/// A linear map for congruences L^T K L.
type LinearR =
    /// A difference operator (forward, central, third or spectral) along an axis.
    | LDifference of kind: Small * axis: Small
    /// The projection onto one field.
    | LSelect of field: Small
    /// outer after inner.
    | LCompose of outer: LinearR * inner: LinearR

/// A dissipation M (symmetric PSD by construction).
type DissR =
    /// A Fourier multiplier theta(k)^2 (massFree: theta(0) = 0).
    | DMultiplier of Seed * Exponent * massFree: bool * learned: bool
    /// diag(m(u)).
    | DMobility of NonNegR
    /// D+^T m(u) D+.
    | DDivergence of NonNegR
    /// B B^T with B = sum_j b_j S^j a banded stencil along an axis.
    | DBanded of Coef * Coef * Coef * Coef * reach: Small * Exponent * axis: Small
    /// beta I + P P^T with a dense factor P of rank 1..3.
    | DLowRank of Seed * rank: Small * Exponent * learned: bool
    /// The sum of two dissipations.
    | DSum of DissR * DissR
    /// A dissipation times 10^e.
    | DScaled of Exponent * learned: bool * DissR
    /// [s(u)] M [s(u)]: a dissipation weighted by a non-negative function on both sides.
    | DWeighted of NonNegR * DissR
    /// L^T M L.
    | DCongruence of LinearR * DissR

/// A conservation W (antisymmetric by construction).
type ConsR =
    /// A Fourier multiplier i phi(k).
    | WMultiplier of Seed * Exponent * learned: bool
    /// sum c_j (S^j - S^-j)/h^order along an axis.
    | WStencil of Coef * Coef * length: Small * order: Small * axis: Small
    /// (b(u) D1 + D1 b(u))/2 along an axis.
    | WAdvection of ScalarR * axis: Small
    /// A - A^T with A a banded stencil along an axis.
    | WBanded of Coef * Coef * Coef * length: Small * Exponent * axis: Small
    /// B C^T - C B^T with dense factors of rank 1..3.
    | WLowRank of Seed * rank: Small * Exponent * learned: bool
    /// The symplectic block [[0, -I], [I, 0]] on two fields (D1 on one field).
    | WSymplectic of swap: bool
    /// The block [[0, D], [D, 0]] on two fields, D antisymmetric (D1 on one field).
    | WCoupling of kind: Small * axis: Small
    /// The sum of two conservations.
    | WSum of ConsR * ConsR
    /// A conservation times +-10^e.
    | WScaled of negative: bool * Exponent * learned: bool * ConsR
    /// L^T W L.
    | WCongruence of LinearR * ConsR

/// A coercive anchor (one per field).
type AnchorR =
    /// a/2 u^2.
    | AQuadratic of Exponent * learned: bool
    /// a u^4.
    | AQuartic of Exponent * learned: bool
    /// a (u^2 - w^2)^2 with w one of 1, 0.3, 3, 0.1.
    | ADoubleWell of Exponent * well: Small * learned: bool
    /// a u^4 + cubic(u) + G(u), G a bounded network.
    | ACoerciveNetwork of Exponent * Coef * Coef * Coef * Seed * width: Small
    /// a/2 u^2 + G(u), G a bounded network.
    | ASineNetwork of Exponent * Seed * width: Small

/// An energy term that need only be bounded below.
type TermR =
    /// a/2 u^2.
    | TQuadratic of Exponent
    /// kappa/2 |grad u|^2 (forward or spectral difference).
    | TGradient of Exponent * spectral: bool
    /// A polynomial of degree 2 or 4 with a positive leading coefficient.
    | TPolynomial of Coef * Coef * Coef * Coef * leading: Exponent * quartic: bool
    /// F(u), a bounded pointwise network.
    | TLocalNetwork of Seed * width: Small * output: Exponent
    /// An input-convex network of the state.
    | TInputConvex of Seed * width: Small * deep: bool
    /// 1/2 u C(k) u with a non-negative symbol C.
    | TCirculant of Seed * Exponent
    /// A bounded network of the lowest Fourier modes (1D grids; a quadratic term otherwise).
    | TLowModes of modes: Small * Seed
    /// A bounded network of every value of the state.
    | TDense of Seed * width: Small
    /// A term times 10^e.
    | TScaled of Exponent * TermR
    /// The sum of two terms.
    | TSum of TermR * TermR

/// An energy term and the field it acts on.
type TermEntry =
    { /// On the second field (when there are two), else on the first.
      SecondField: bool
      /// The term.
      Term: TermR }

/// Anchors for field 0 and (when there are two fields) field 1, and up to 3 terms.
type EnergyR =
    { /// The anchor of field 0.
      Anchor: AnchorR
      /// The anchor of field 1 (unused with one field).
      SecondAnchor: AnchorR
      /// Up to 3 terms (more are dropped by the translation).
      Terms: TermEntry list }

/// A periodic grid: 1D (8..64 points) or 2D (4..12 points per axis).
type GridR =
    /// A 1D grid.
    | Line of Points1D * Length
    /// A 2D grid.
    | Plane of Points2D * Points2D * Length * Length

/// A whole member of the class.
type Recipe =
    { /// The grid.
      Grid: GridR
      /// Two fields (else one).
      TwoFields: bool
      /// The energy.
      Energy: EnergyR
      /// The dissipation M, if any.
      Dissipation: DissR option
      /// The conservation W, if any.
      Conservation: ConsR option }

// ---------------------------------------------------------------- arbitraries

/// Generators and shrinkers of the leaves: fixed ranges that do not depend on FsCheck's size, shrinking to a simple
/// value; booleans shrink true -> false (FsCheck's own bool does not shrink); grids shrink from 2D to 1D.
type Leaves =
    static member private Ranged (lo: int, hi: int, target: int) : Arbitrary<int> =
        let shrinkInt = ArbMap.defaults |> ArbMap.arbitrary<int> |> Arb.toShrink
        Arb.fromGenShrink (Gen.choose (lo, hi),
                           fun v -> shrinkInt (v - target) |> Seq.map ((+) target) |> Seq.filter (fun x -> x >= lo && x <= hi))

    /// Exponents in -6..6, shrinking towards 0.
    static member Exponent() = Leaves.Ranged(-6, 6, 0) |> Arb.convert Exponent (fun (Exponent e) -> e)
    /// Coefficients k in -8..8, shrinking towards 0.
    static member Coef() = Leaves.Ranged(-8, 8, 0) |> Arb.convert Coef (fun (Coef c) -> c)
    /// Seeds in 0..1,000,000, shrinking towards 0.
    static member Seed() = Leaves.Ranged(0, 1_000_000, 0) |> Arb.convert Seed (fun (Seed s) -> s)
    /// Points of a 1D grid, 8..64, shrinking towards 8.
    static member Points1D() = Leaves.Ranged(8, 64, 8) |> Arb.convert Points1D (fun (Points1D n) -> n)
    /// Points per axis of a 2D grid, 4..12, shrinking towards 4.
    static member Points2D() = Leaves.Ranged(4, 12, 4) |> Arb.convert Points2D (fun (Points2D n) -> n)
    /// Length exponents k in -2..4, shrinking towards 0 (2 pi).
    static member Length() = Leaves.Ranged(-2, 4, 0) |> Arb.convert Length (fun (Length k) -> k)
    /// Small choices 0..7, shrinking towards 0.
    static member Small() = Leaves.Ranged(0, 7, 0) |> Arb.convert Small (fun (Small k) -> k)
    /// Booleans, shrinking true to false.
    static member Bool() = Arb.fromGenShrink (Gen.elements [ false; true ], fun b -> if b then Seq.singleton false else Seq.empty)

    /// Grids: 1D or 2D with equal odds. Written out (not derived) so that a 2D grid can shrink to the simplest 1D one.
    static member GridR() : Arbitrary<GridR> =
        let p1, p2, len = Leaves.Points1D(), Leaves.Points2D(), Leaves.Length()
        let line = Gen.map2 (fun n l -> Line(n, l)) p1.Generator len.Generator
        let plane = gen {
            let! nx = p2.Generator
            let! ny = p2.Generator
            let! lx = len.Generator
            let! ly = len.Generator
            return Plane(nx, ny, lx, ly) }
        let shrink g =
            match g with
            | Line (n, l) ->
                Seq.append (p1.Shrinker n |> Seq.map (fun n' -> Line(n', l))) (len.Shrinker l |> Seq.map (fun l' -> Line(n, l')))
            | Plane (nx, ny, lx, ly) ->
                seq {
                    yield Line(Points1D 8, Length 0)
                    yield! p2.Shrinker nx |> Seq.map (fun x -> Plane(x, ny, lx, ly))
                    yield! p2.Shrinker ny |> Seq.map (fun y -> Plane(nx, y, lx, ly))
                    yield! len.Shrinker lx |> Seq.map (fun x -> Plane(nx, ny, x, ly))
                    yield! len.Shrinker ly |> Seq.map (fun y -> Plane(nx, ny, lx, y))
                }
        Arb.fromGenShrink (Gen.oneof [ line; plane ], shrink)

/// The recipe parts, derived by reflection from the leaves; each first tries to shrink to its simplest case
/// (FsCheck's derived shrinker only moves to sub-terms of the same type and shrinks fields in place, so a network
/// anchor would never become a quadratic one).
type Parts =
    static member private Derived = ArbMap.defaults |> ArbMap.mergeWith<Leaves>

    static member private TryFirst (simplest: 'T) : Arbitrary<'T> =
        let a = ArbMap.arbitrary<'T> Parts.Derived
        Arb.fromGenShrink (a.Generator, fun v -> if v = simplest then a.Shrinker v else Seq.append (Seq.singleton simplest) (a.Shrinker v))

    /// Exponents in -6..6, shrinking towards 0.
    static member Exponent() = Leaves.Exponent()
    /// Coefficients k in -8..8, shrinking towards 0.
    static member Coef() = Leaves.Coef()
    /// Seeds in 0..1,000,000, shrinking towards 0.
    static member Seed() = Leaves.Seed()
    /// Points of a 1D grid, 8..64, shrinking towards 8.
    static member Points1D() = Leaves.Points1D()
    /// Points per axis of a 2D grid, 4..12, shrinking towards 4.
    static member Points2D() = Leaves.Points2D()
    /// Length exponents k in -2..4, shrinking towards 0 (2 pi).
    static member Length() = Leaves.Length()
    /// Small choices 0..7, shrinking towards 0.
    static member Small() = Leaves.Small()
    /// Booleans, shrinking true to false.
    static member Bool() = Leaves.Bool()
    /// Grids, 1D or 2D, a 2D grid shrinking to the simplest 1D one.
    static member GridR() = Leaves.GridR()
    /// ScalarR recipes, shrinking first to the constant 0.
    static member ScalarR() = Parts.TryFirst(SConstant(Coef 0))
    /// NonNegR recipes, shrinking first to the constant 1.
    static member NonNegR() = Parts.TryFirst(NConstant(Exponent 0, false))
    /// LinearR recipes, shrinking first to the forward difference along x.
    static member LinearR() = Parts.TryFirst(LDifference(Small 0, Small 0))
    /// AnchorR recipes, shrinking first to u^2/2.
    static member AnchorR() = Parts.TryFirst(AQuadratic(Exponent 0, false))
    /// TermR recipes, shrinking first to u^2/2.
    static member TermR() = Parts.TryFirst(TQuadratic(Exponent 0))
    /// M = I (mobility 1).
    static member DissR() = Parts.TryFirst(DMobility(NConstant(Exponent 0, false)))
    /// W = D1 (transport: the stencil 1/2 (S - S^-1)/h).
    static member ConsR() = Parts.TryFirst(WStencil(Coef 2, Coef 0, Small 0, Small 0, Small 0))

/// The generator map: FsCheck's defaults plus the parts; every recipe type is derived from it.
module RecipeGen =
    /// FsCheck's default arbitraries with the recipe parts merged in.
    let map = ArbMap.defaults |> ArbMap.mergeWith<Parts>

    /// The derived generator of 'T at a fixed size (the size bounds the depth of recursive unions: 6 gives depth <= 2).
    let sized<'T> size = ArbMap.generate<'T> map |> Gen.resize size

    /// The shrinker of 'T (simplest case first, then sub-terms, leaves towards their simple value, Some towards None).
    let shrinker<'T> = ArbMap.arbitrary<'T> map |> Arb.toShrink

    let private maybe share (g: Gen<'T>) = Gen.frequency [ (100 - share, Gen.map Some g); (share, Gen.constant None) ]

    /// One or two fields (20 % two, as RandomMembers), 0..3 energy terms, operator trees of depth <= 2;
    /// M present in 3/4 of cases, W in 3/4 (both absent in about 1/16: a member with K = 0 is still a member).
    let recipe : Gen<Recipe> =
        gen {
            let! grid = sized<GridR> 10
            let! two = Gen.frequency [ (4, Gen.constant false); (1, Gen.constant true) ]
            let! a0 = sized<AnchorR> 10
            let! a1 = sized<AnchorR> 10
            let! count = Gen.choose (0, 3)
            let! terms = Gen.listOfLength count (sized<TermEntry> 6)
            let! d = maybe 25 (sized<DissR> 6)
            let! w = maybe 25 (sized<ConsR> 6)
            return { Grid = grid; TwoFields = two; Energy = { Anchor = a0; SecondAnchor = a1; Terms = terms }; Dissipation = d; Conservation = w }
        }

/// Register with [<Property(Arbitrary = [| typeof<Arbs> |])>]: recipes of members (Recipe), grids (GridR) and every part.
type Arbs =
    /// Exponents in -6..6, shrinking towards 0.
    static member Exponent() = Leaves.Exponent()
    /// Coefficients k in -8..8, shrinking towards 0.
    static member Coef() = Leaves.Coef()
    /// Seeds in 0..1,000,000, shrinking towards 0.
    static member Seed() = Leaves.Seed()
    /// Points of a 1D grid, 8..64, shrinking towards 8.
    static member Points1D() = Leaves.Points1D()
    /// Points per axis of a 2D grid, 4..12, shrinking towards 4.
    static member Points2D() = Leaves.Points2D()
    /// Length exponents k in -2..4, shrinking towards 0 (2 pi).
    static member Length() = Leaves.Length()
    /// Small choices 0..7, shrinking towards 0.
    static member Small() = Leaves.Small()
    /// Booleans, shrinking true to false.
    static member Bool() = Leaves.Bool()
    /// Grids, 1D or 2D, a 2D grid shrinking to the simplest 1D one.
    static member GridR() = Leaves.GridR()
    /// Recipes of pointwise functions.
    static member ScalarR() = ArbMap.arbitrary<ScalarR> RecipeGen.map
    /// Recipes of non-negative pointwise functions.
    static member NonNegR() = ArbMap.arbitrary<NonNegR> RecipeGen.map
    /// Recipes of linear maps.
    static member LinearR() = ArbMap.arbitrary<LinearR> RecipeGen.map
    /// Recipes of anchors.
    static member AnchorR() = ArbMap.arbitrary<AnchorR> RecipeGen.map
    /// Recipes of energy terms.
    static member TermR() = ArbMap.arbitrary<TermR> RecipeGen.map
    /// Recipes of dissipations.
    static member DissR() = ArbMap.arbitrary<DissR> RecipeGen.map
    /// Recipes of conservations.
    static member ConsR() = ArbMap.arbitrary<ConsR> RecipeGen.map
    /// Recipes of whole members (RecipeGen.recipe), shrinking by RecipeGen.shrinker.
    static member Recipe() = Arb.fromGenShrink (RecipeGen.recipe, RecipeGen.shrinker<Recipe>)

// ---------------------------------------------------------------- translation into the C# algebra

/// Pure translation of recipes into members (Onsager.Model). Every number is clamped into its valid range and every
/// band, mode count and field index is reduced to what the grid and the number of fields allow, so Structure.Validate
/// never throws on a translated recipe.
module Recipe =
    let private clamp lo hi (x: int) = max lo (min hi x)

    /// 10^e with e clamped to lo..hi.
    let scale lo hi (Exponent e) = 10.0 ** float (clamp lo hi e)
    /// 10^e over the full range 1e-6..1e6.
    let full e = scale -6 6 e
    /// k/4 with k clamped to -8..8.
    let coef (Coef k) = float (clamp -8 8 k) / 4.0
    /// A choice in 0..n-1.
    let pick (Small k) n = (abs k) % n

    let private param learned (v: float) : Param = if learned then Param.Learned v else Param.Fixed v
    let private array learned (values: float seq) = ParamArray(ImmutableArray.CreateRange values, learned)
    let private uniform (Seed s) n = let rng = Random s in Array.init n (fun _ -> rng.NextDouble())

    /// The periodic grid of a grid recipe.
    let grid (g: GridR) : Grid =
        let len (Length k) = 2.0 * Math.PI * 10.0 ** (float (clamp -2 4 k) / 3.0)
        match g with
        | Line (Points1D n, l) -> Grid.Periodic(len l, clamp 8 64 n)
        | Plane (Points2D nx, Points2D ny, lx, ly) -> Grid.Periodic(len lx, len ly, clamp 4 12 nx, clamp 4 12 ny)

    /// A network with deterministic weights: width 2..8, depth 1 or 2 (from the seed's parity).
    let network inputs head (Seed s) width (output: float) learned =
        Network.Create(inputs, 2 + pick width 7, 1 + abs s % 2, head, s, outputScale = output, learned = learned)

    /// A dense n x rank factor (n = fields x sites) with entries of size sqrt(amp / n), so P P^T is of size amp.
    let private factor (g: Grid) fields (Seed s) rank amp learned =
        let n = fields * g.Sites
        array learned (uniform (Seed s) (n * rank) |> Array.map (fun r -> sqrt (amp / float n) * (2.0 * r - 1.0)))

    /// The pointwise function of a recipe.
    let scalar (s: ScalarR) : Scalar =
        match s with
        | SConstant c -> Scalar.Constant(Param.Fixed(1.5 * coef c))
        | SPolynomial (c0, c1, c2) -> Scalar.Polynomial(array false [ coef c0; coef c1; coef c2 ])
        | SNetwork (seed, w) -> Scalar.Net(network 1 Head.Free seed w 1.0 false)

    /// The non-negative pointwise function of a recipe.
    let nonNegative (n: NonNegR) : NonNegative =
        match n with
        | NConstant (e, learned) -> NonNegative.Constant(param learned (full e))
        | NSoftplus s -> NonNegative.Softplus(scalar s)
        | NSquare s -> NonNegative.Square(scalar s)
        | NAtLeast (f, s) -> NonNegative.AtLeast(float (pick f 8) / 8.0, scalar s)
        | NNetwork (seed, w) -> NonNegative.Net(network 1 Head.Positive seed w 1.0 false)

    /// Fields a linear map outputs (mirrors Structure.OutputFields, which is internal).
    let rec outputFields (l: Linear) fields =
        match l with
        | :? Linear.Select -> 1
        | :? Linear.Compose as c -> outputFields c.Outer (outputFields c.Inner fields)
        | _ -> fields

    /// The linear map of a recipe on a grid with this many fields (axes and fields reduced to what exists).
    let rec linear (g: Grid) fields (l: LinearR) : Linear =
        match l with
        | LDifference (k, a) -> Linear.Difference(enum<DifferenceKind> (pick k 4), pick a g.Dimensions)
        | LSelect f -> Linear.Select(pick f fields, fields)
        | LCompose (outer, inner) ->
            let i = linear g fields inner
            Linear.Compose(linear g (outputFields i fields) outer, i)

    /// The dissipation of a recipe on a grid with this many fields (bands reduced to what the grid allows).
    let rec dissipation (g: Grid) fields (d: DissR) : Dissipation =
        match d with
        | DMultiplier (seed, e, massFree, learned) ->
            let amp = sqrt (full e)
            let theta = uniform seed (Spectral.ModeCount g) |> Array.mapi (fun k r -> if massFree && k = 0 then 0.0 else amp * (2.0 * r - 1.0))
            Dissipation.Multiplier(array learned theta)
        | DMobility m -> Dissipation.Mobility(nonNegative m)
        | DDivergence m -> Dissipation.Divergence(nonNegative m)
        | DBanded (b0, b1, b2, b3, reach, e, axis) ->
            let ax = pick axis g.Dimensions
            // B = sum_{j < len} b_j S^j reaches len - 1 sites: needs 2 (len - 1) < N.
            let len = 1 + pick reach (min 4 ((g.Points[ax] + 1) / 2))
            let amp = sqrt (full e)
            Dissipation.Banded(array false ([ b0; b1; b2; b3 ] |> List.truncate len |> List.map (fun c -> amp * coef c)), ax)
        | DLowRank (seed, rank, e, learned) ->
            let r = 1 + pick rank 3
            Dissipation.LowRank(param learned (full e), r, factor g fields seed r (full e) learned)
        | DSum (a, b) -> Dissipation.Sum(ImmutableArray.Create(dissipation g fields a, dissipation g fields b))
        | DScaled (e, learned, inner) -> Dissipation.Scaled(param learned (full e), dissipation g fields inner)
        | DWeighted (s, inner) -> Dissipation.Weighted(nonNegative s, dissipation g fields inner)
        | DCongruence (l, inner) ->
            let lin = linear g fields l
            Dissipation.Congruence(lin, dissipation g (outputFields lin fields) inner)

    /// The conservation of a recipe on a grid with this many fields (two-field blocks become D1 on one field).
    let rec conservation (g: Grid) fields (w: ConsR) : Conservation =
        let transport () = Conservation.Stencil(ParamArray.Fixed 0.5, 1) :> Conservation
        match w with
        | WMultiplier (seed, e, learned) ->
            let amp = full e
            Conservation.Multiplier(array learned (uniform seed (Spectral.ModeCount g) |> Array.map (fun r -> amp * (2.0 * r - 1.0))))
        | WStencil (c1, c2, length, order, axis) ->
            let ax = pick axis g.Dimensions
            // sum_{j = 1..len} c_j (S^j - S^-j) needs 2 len < N.
            let len = 1 + pick length (min 2 ((g.Points[ax] - 1) / 2))
            Conservation.Stencil(array false ([ coef c1; coef c2 ] |> List.truncate len), 1 + pick order 3, ax)
        | WAdvection (b, axis) -> Conservation.Advection(scalar b, pick axis g.Dimensions)
        | WBanded (a1, a2, a3, length, e, axis) ->
            let ax = pick axis g.Dimensions
            let len = 1 + pick length (min 3 ((g.Points[ax] - 1) / 2))
            let amp = full e
            Conservation.Banded(array false ([ a1; a2; a3 ] |> List.truncate len |> List.map (fun c -> amp * coef c)), ax)
        | WLowRank (Seed s, rank, e, learned) ->
            let r = 1 + pick rank 3
            Conservation.LowRank(r, factor g fields (Seed s) r (full e) learned, factor g fields (Seed (s + 1)) r (full e) learned)
        | WSymplectic swap ->
            if fields < 2 then transport () elif swap then Conservation.Symplectic(1, 0) else Conservation.Symplectic(0, 1)
        | WCoupling (k, axis) ->
            if fields < 2 then transport ()
            else
                let kind = [| DifferenceKind.Central; DifferenceKind.Spectral; DifferenceKind.Third |][pick k 3]
                Conservation.Coupling(0, 1, kind, pick axis g.Dimensions)
        | WSum (a, b) -> Conservation.Sum(ImmutableArray.Create(conservation g fields a, conservation g fields b))
        | WScaled (negative, e, learned, inner) ->
            Conservation.Scaled(param learned ((if negative then -1.0 else 1.0) * full e), conservation g fields inner)
        | WCongruence (l, inner) ->
            let lin = linear g fields l
            Conservation.Congruence(lin, conservation g (outputFields lin fields) inner)

    /// The anchor of a recipe on a field.
    let anchor field (a: AnchorR) : Anchor =
        match a with
        | AQuadratic (e, learned) -> Anchor.Quadratic(param learned (full e), field)
        | AQuartic (e, learned) -> Anchor.Quartic(param learned (full e), field)
        | ADoubleWell (e, well, learned) ->
            let wells = [| 1.0; 0.3; 3.0; 0.1 |]
            Anchor.DoubleWell(param learned (full e), param learned wells[pick well 4], field)
        | ACoerciveNetwork (e, c1, c2, c3, seed, w) ->
            Anchor.CoerciveNetwork(param true (scale -2 2 e), array true [ coef c1 / 2.0; coef c2 / 2.0; coef c3 / 2.0 ],
                                   network 1 Head.Bounded seed w 1.0 true, field)
        | ASineNetwork (e, seed, w) -> Anchor.SineNetwork(param true (full e), network 1 Head.Bounded seed w 1.0 true, field)

    /// The energy term of a recipe on a field of a grid with this many fields.
    let rec term (g: Grid) fields field (t: TermR) : EnergyTerm =
        match t with
        | TQuadratic e -> EnergyTerm.Quadratic(Param.Fixed(full e), field)
        | TGradient (e, spectral) ->
            EnergyTerm.Gradient(Param.Fixed(full e), (if spectral then Derivative.Spectral else Derivative.Forward), field)
        | TPolynomial (c0, c1, c2, c3, leading, quartic) ->
            // even degree and a positive leading coefficient (bounded below), as RandomMembers
            let lead = scale -2 2 leading
            let c = if quartic then [ coef c0 / 2.0; coef c1 / 2.0; coef c2 / 2.0; coef c3 / 2.0; lead ] else [ coef c0 / 2.0; coef c1 / 2.0; lead ]
            EnergyTerm.Polynomial(array false c, field)
        | TLocalNetwork (seed, w, output) -> EnergyTerm.LocalNetwork(network 1 Head.Bounded seed w (scale -3 2 output) true, field)
        | TInputConvex (Seed s, w, deep) -> EnergyTerm.InputConvex.Create(2 + pick w 4, (if deep then 2 else 1), s, field)
        | TCirculant (seed, e) ->
            let amp = scale -3 3 e
            EnergyTerm.Circulant(array true (uniform seed (Spectral.ModeCount g) |> Array.map ((*) amp)), field)
        | TLowModes (modes, seed) ->
            if g.Dimensions = 1 && g.Points[0] >= 6 then
                let m = 1 + pick modes (min 4 (g.Points[0] / 2 - 1))          // 1 <= m < N/2
                EnergyTerm.LowModes(m, network (2 * m) Head.Bounded seed (Small 3) 0.1 true, field)
            else EnergyTerm.Quadratic(Param.Fixed 1.0, field)
        | TDense (seed, w) -> EnergyTerm.Dense(network (fields * g.Sites) Head.Bounded seed w 0.1 true)
        | TScaled (e, inner) -> EnergyTerm.Scaled(Param.Fixed(scale -3 3 e), term g fields field inner)
        | TSum (a, b) -> EnergyTerm.Sum(ImmutableArray.Create(term g fields field a, term g fields field b))

    /// The number of fields of a member recipe (1 or 2).
    let fields (r: Recipe) = if r.TwoFields then 2 else 1

    /// The energy of a recipe: one anchor per field and at most 3 terms.
    let energy (g: Grid) fields (e: EnergyR) : Energy =
        let anchors = [ yield anchor 0 e.Anchor; if fields > 1 then yield anchor 1 e.SecondAnchor ]
        let terms = e.Terms |> List.truncate 3 |> List.map (fun t -> term g fields (if fields > 1 && t.SecondField then 1 else 0) t.Term)
        Energy(ImmutableArray.CreateRange anchors, ImmutableArray.CreateRange terms)

    /// The member a recipe stands for.
    let toModel (r: Recipe) : Model =
        let g = grid r.Grid
        let f = fields r
        let d = r.Dissipation |> Option.map (dissipation g f) |> Option.toObj
        let w = r.Conservation |> Option.map (conservation g f) |> Option.toObj
        Model(g, f, energy g f r.Energy, d, w)
