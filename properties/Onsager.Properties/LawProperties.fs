/// Every law of the class and every scheme law as an FsCheck property over random members (verify's generator, through
/// Onsager.Testing's MemberRecipe), each counting what it checked; plus the known-truth members, the gauge
/// representative, and "can-fail" properties: deliberately broken user primitives are caught.
module Onsager.Properties.LawProperties

open System
open System.Collections.Generic
open System.Collections.Immutable
open System.Reflection
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Xunit.Abstractions
open TorchSharp
open Onsager
open Onsager.Numbers
open Onsager.Algebra
open Onsager.Compilation
open Onsager.Time
open Onsager.Guarantees
open Onsager.Testing

// One property at a time: a collection triggered by another test thread can finalize TorchSharp's temporary Scalars
// during a native call (see tests/Onsager.Tests/TestParallelization.cs).
[<assembly: CollectionBehavior(DisableTestParallelization = true)>]
do ()

// ---------------------------------------------------------------- the can-fail registry

/// Marks a property that shows the named law (in Laws.Names or SchemeLaws.Names, or SchemeLaws.Crashed) failing on
/// something built to break it. ``every law has a can-fail property here`` requires one for every law.
[<AttributeUsage(AttributeTargets.Method, AllowMultiple = true)>]
type BreaksLawAttribute(law: string) =
    inherit Attribute()
    member _.Law = law

// ---------------------------------------------------------------- one property per law, generated from the names

/// The cases each law's run generates (members of Members.small, from verify's generator).
let lawCases = 200

/// The share of its cases on which each law must have made a check; a run below it fails: the law has become (nearly)
/// vacuous on its generator. About 4 standard deviations under the share measured over 100 cases (in brackets), so a
/// run fails by chance less than once in 10^4.
let minShare (law: string) =
    match law with
    | "dissipation-symmetric" | "dissipation-psd-probes" -> 0.55                  // M present (70 %)
    | "dissipation-psd-spectrum" -> 0.55                                             // M present and N <= 256 (76 %)
    | "conservation-antisymmetric" | "energy-conserved-without-dissipation" -> 0.55  // W present (68 %, 69 %)
    | "mass-conservation" -> 0.2                                                     // M 1 = W 1 = 0 promised (30-42 %)
    | "shift-equivariance" -> 0.7                                                    // every part shift-equivariant (84 %)
    | _ -> 0.9                                                                       // every member (97-100 %)

/// The scheme the scheme laws are judged on, the step and the cases per law.
let schemeStepper : Stepper = Stepper.DiscreteGradient(DgOptions.Laws)
let schemeDt = 0.01
let schemeCases = 30
/// The scheme laws' members: small grids, parameters within 1e-1..1e1 (stiffer members are verify --dg-laws' and the
/// benchmarks' business: some of them end unconverged, see docs/benchmarks.md).
let schemeMembers = RandomMemberOptions(MaxPoints = 32, MaxPoints2D = 8, MinScale = 1e-1, MaxScale = 1e1)

/// The laws that apply only without M are judged on the member with its M dropped (the Hamiltonian part).
let schemeVariant (law: string) (m: Model) =
    match law with
    | "step-energy-conserved" | "step-reversible" -> Model(m.Grid, m.Fields, m.Energy, null, m.Conservation)
    | _ -> m

/// As minShare, for the scheme laws over schemeCases cases.
let minSchemeShare (law: string) =
    match law with
    | "step-mass-conserved" -> 0.15              // M 1 = W 1 = 0 promised (43 %, 47 %)
    | "step-reversible" -> 0.4                   // W present once M is dropped, and the step converged (73 %)
    | _ -> 0.9                                   // every member, or every member without its M (100 %)

let private config cases = Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true)

/// One FsCheck property per law of Laws.Names and of SchemeLaws.Names (xunit theories over the names): the law holds on
/// every generated member, and checked something on at least its stated share of them. Prints the counts.
type LawRuns(output: ITestOutputHelper) =
    static member AlgebraLaws = Laws.Names |> Seq.map (fun n -> [| box n |])
    /// Every scheme law (step-reversible included since it checks that u solves the reversed step rather than that a solver
    /// stepping back finds u: docs/benchmarks.md, "step-reversible on random members"); the can-fail properties are below.
    static member StepLaws = SchemeLaws.Names |> Seq.map (fun n -> [| box n |])

    [<Theory; MemberData(nameof LawRuns.AlgebraLaws)>]
    member _.``the law holds on random members and checks them`` (law: string) =
        Reusable.singleThreaded ()
        let counts = LawChecks.countChecks (config lawCases) law (Members.arbitrary Members.small) id (fun m -> Laws.Check(law, m))
        output.WriteLine(string counts)
        LawChecks.requireShare (minShare law) counts

    [<Theory; MemberData(nameof LawRuns.StepLaws)>]
    member _.``the scheme law holds on random members and checks them`` (law: string) =
        Reusable.singleThreaded ()
        let judge = LawChecks.schemeLaw law schemeStepper schemeDt 0
        let counts = LawChecks.countChecks (config schemeCases) law (Members.arbitrary schemeMembers) (schemeVariant law) judge
        output.WriteLine(string counts)
        LawChecks.requireShare (minSchemeShare law) counts

/// The counting can fail: a law made vacuous on its generator (every member's M dropped, so dissipation-symmetric has
/// nothing to check) fails its run with the counts, and so does a law checked on fewer cases than its stated share.
[<Fact>]
let ``a law made vacuous on its generator fails its run`` () =
    Reusable.singleThreaded ()
    let law = "dissipation-symmetric"
    let noM (m: Model) = Model(m.Grid, m.Fields, m.Energy, null, m.Conservation)
    let counts = LawChecks.countChecks (config 20) law (Members.arbitrary Members.small) noM (fun m -> Laws.Check(law, m))
    Assert.Equal(20, counts.Cases)
    Assert.Equal(0, counts.Checked)
    Assert.Equal(0L, counts.Checks)
    let e = Assert.ThrowsAny<exn>(fun () -> LawChecks.requireShare (minShare law) counts)
    Assert.Contains("0 of 20 cases", e.Message)
    Assert.Contains("vacuous", e.Message)
    // below the share fails, at it passes
    let some = { Law = law; Cases = 100; Checked = 54; Checks = 5400L }
    Assert.ThrowsAny<exn>(fun () -> LawChecks.requireShare 0.55 some) |> ignore
    LawChecks.requireShare 0.55 { some with Checked = 55 }

// ---------------------------------------------------------------- known-truth members and the gauge representative

[<Property(MaxTest = 40, Arbitrary = [| typeof<Arbs> |])>]
let ``known-truth members pass every law on random small grids`` (which: Small) (g: GridR) (spectral: bool) =
    let name = KnownMembers.Names[Recipe.pick which KnownMembers.Names.Length]
    // D3 (KdV) reaches 2 sites: it needs more than 4 points per axis (a 2D recipe may have 4).
    let small = Recipe.grid g
    let grid = Grid(small.Lengths, small.Points |> Seq.map (max 5) |> ImmutableArray.CreateRange)
    let model = KnownMembers.Get(name, grid, spectral)
    Reusable.memberLawsHold model |> Prop.label (sprintf "known member %s (spectral %b)" name spectral)

[<Property(MaxTest = 100, Arbitrary = [| typeof<MemberArbs> |])>]
let ``the gauge representative leaves the vector field unchanged`` (r: MemberRecipe) =
    Reusable.singleThreaded ()
    let model = r.ToModel()
    let gauges : IReadOnlyList<struct (string * Func<Model, Model>)> =
        [| struct ("representative", Func<Model, Model>(Gauge.Representative)) |]
    let result = Laws.GaugeInvariance(model, gauges)
    let ok = (result.Checks > 0 || (isNull model.Dissipation && isNull model.Conservation)) && result.Violations = 0
    if ok then Prop.ofTestable true
    else false |> Prop.label (sprintf "member: %s\nrepresentative: %s\n%s" (model.Describe()) ((Gauge.Representative model).Describe()) (Reusable.describeLaw result))

// ---------------------------------------------------------------- deliberately broken primitives (the laws can fail)

/// Broken user primitives, written as a user would in F#.
module Broken =
    let private onGrid (grid: Grid) fields (values: float[]) =
        torch.tensor(values, dtype = torch.ScalarType.Float64).reshape(grid.Shape(1L, fields))

    /// diag(m) with m = 1 except at three sites where it is negative: promised PSD, is not.
    type NegativeMobility(sites: int[], values: float[]) =
        interface ICustomOperator with
            member _.Formula = "diag(m), m < 0 at 3 sites"
            member _.Apply(u, g, grid) =
                let fields = int (g.shape[1])
                let m = Array.create (fields * grid.Sites) 1.0
                Array.iter2 (fun s v -> m[s % m.Length] <- v) sites values
                onGrid grid fields m * g

    /// Upwind (I - S)/h along x: its quadratic form is >= 0, but it is not symmetric.
    type Upwind() =
        interface ICustomOperator with
            member _.Formula = "(I - S)/h (upwind, not symmetric)"
            member _.Apply(u, g, grid) = -(Stencils.Forward(g, grid, 0))

    /// D+^T D+ (a symmetric PSD Laplacian) sold as a conservation: promised antisymmetric, is not.
    type SymmetricConservation() =
        interface ICustomOperator with
            member _.Formula = "D+^T D+ (symmetric)"
            member _.Apply(u, g, grid) = Stencils.ForwardTranspose(Stencils.Forward(g, grid, 0), grid, 0)

    /// -integral u^4 claiming the lower bound 0.
    type NegativeQuartic() =
        interface ICustomEnergy with
            member _.Formula = "-integral u^4 (claims >= 0)"
            member _.Energy(u, grid) = (u.square().square().flatten(1).sum(1)).mul(torch.tensor(-grid.CellVolume))
            member _.LowerBound(grid) = 0.0

    /// c I: with c < 0 as a dissipation it raises E; as a conservation it is symmetric; claimsMass promises M 1 = 0 falsely.
    type ScaledIdentity(c: float, claimsMass: bool) =
        interface ICustomOperator with
            member _.Formula = sprintf "%g I" c
            member _.Apply(u, g, grid) = g.mul(torch.tensor c)
            member _.ConservesMass = claimsMass

    /// diag(1 + i/N) over the sites, claiming to commute with shifts.
    type PositionDependent() =
        interface ICustomOperator with
            member _.Formula = "diag(1 + x/L)"
            member _.Apply(u, g, grid) =
                let fields = int g.shape[1]
                onGrid grid fields (Array.init (fields * grid.Sites) (fun i -> 1.0 + float (i % grid.Sites) / float grid.Sites)) * g

    /// 0.3 integral u^4 with a closed-form derivative 1.5 times too large.
    type WrongDerivative() =
        interface ICustomEnergy with
            member _.Formula = "0.3 integral u^4 (derivative x 1.5)"
            member _.Energy(u, grid) = u.square().square().flatten(1).sum(1).mul(torch.tensor(0.3 * grid.CellVolume))
            member _.HasVariationalDerivative = true
            member _.VariationalDerivative(u, grid) = u.square().mul(u).mul(torch.tensor(1.5 * 1.2))
            member _.LowerBound(grid) = 0.0

    /// Throws: a crash must be reported as a crash.
    type Throwing() =
        interface ICustomOperator with
            member _.Formula = "throws"
            member _.Apply(u, g, grid) = raise (InvalidOperationException "the broken operator threw")

    // Broken combinators (what a bug in the compiler of Sum, Scaled, Weighted or Congruence would do), offered through Laws.Closure.
    let private compiledM (like: Model) (d: Dissipation) =
        let c = Dynamics.Compile(Model(like.Grid, like.Fields, like.Energy, d, null))
        Func<torch.Tensor, torch.Tensor, torch.Tensor>(fun u g -> c.Dissipation(u, g))
    let private compiledW (like: Model) (w: Conservation) =
        let c = Dynamics.Compile(Model(like.Grid, like.Fields, like.Energy, null, w))
        Func<torch.Tensor, torch.Tensor, torch.Tensor>(fun u g -> c.Conservation(u, g))

    /// A + B with an off-by-one: B's result lands one site over.
    type ShiftedSum(a: Func<torch.Tensor, torch.Tensor, torch.Tensor>, b: Func<torch.Tensor, torch.Tensor, torch.Tensor>) =
        interface ICustomOperator with
            member _.Formula = "A + S B"
            member _.Apply(u, g, grid) = a.Invoke(u, g) + b.Invoke(u, g).roll(1L, 2L)

    /// c A with c < 0, as if the factor's validation were bypassed.
    type NegativeScaled(c: float, a: Func<torch.Tensor, torch.Tensor, torch.Tensor>) =
        interface ICustomOperator with
            member _.Formula = sprintf "%g A" c
            member _.Apply(u, g, grid) = a.Invoke(u, g).mul(torch.tensor c)

    /// diag(s) A with s(x) = 1 + sin(x)/2 instead of diag(s)^(1/2) A diag(s)^(1/2): weighted on one side only.
    type OneSidedWeight(a: Func<torch.Tensor, torch.Tensor, torch.Tensor>) =
        interface ICustomOperator with
            member _.Formula = "diag(s) A"
            member _.Apply(u, g, grid) =
                let fields = int g.shape[1]
                onGrid grid fields (Array.init (fields * grid.Sites) (fun i -> 1.0 + 0.5 * Math.Sin(2.0 * Math.PI * float (i % grid.Sites) / float grid.Sites))) * a.Invoke(u, g)
            member _.ShiftEquivariant = false

    /// D+ A D+ instead of D+^T A D+ (the transpose is missing).
    type UntransposedCongruence(a: Func<torch.Tensor, torch.Tensor, torch.Tensor>) =
        interface ICustomOperator with
            member _.Formula = "D+ A D+"
            member _.Apply(u, g, grid) = Stencils.Forward(a.Invoke(u, Stencils.Forward(g, grid, 0)), grid, 0)

    let shiftedSumM like a b = Dissipation.Custom(ShiftedSum(compiledM like a, compiledM like b)) :> Dissipation
    let shiftedSumW like a b = Conservation.Custom(ShiftedSum(compiledW like a, compiledW like b)) :> Conservation
    let negativeScaledM c like a = Dissipation.Custom(NegativeScaled(c, compiledM like a)) :> Dissipation
    let oneSidedWeightM like a = Dissipation.Custom(OneSidedWeight(compiledM like a)) :> Dissipation
    let untransposedM like a = Dissipation.Custom(UntransposedCongruence(compiledM like a)) :> Dissipation
    let untransposedW like a = Conservation.Custom(UntransposedCongruence(compiledW like a)) :> Conservation

/// Three sites (the first may repeat mod the grid size) and negative values in -1..-0.01.
type BrokenSites = { Sites: (int * int * int); Values: (Exponent * Exponent * Exponent) }

let private negativeMobility (grid: Grid) (sites: BrokenSites) =
    let (a, b, c) = sites.Sites
    let (x, y, z) = sites.Values
    let v e = -(Recipe.scale -2 0 e)
    let n = grid.Sites
    Broken.NegativeMobility([| abs a % n; abs b % n; abs c % n |], [| v x; v y; v z |])

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("dissipation-psd-probes"); BreaksLaw("dissipation-psd-spectrum"); BreaksLaw("operator-split-psd")>]
let ``a mobility negative at 3 sites is caught by dissipation-psd-probes`` (g: GridR) (sites: BrokenSites) =
    let grid = Recipe.grid g
    let results = Reusable.checkOperatorOn (negativeMobility grid sites) true grid 1
    let subject = sprintf "a negative mobility on %O" grid
    // the grids here have at most 144 sites, under the spectrum's assembly limit (256)
    Reusable.catches "dissipation-psd-probes" subject results .&. Reusable.catches "dissipation-psd-spectrum" subject results
    .&. Reusable.catches "operator-split-psd" subject results

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("dissipation-symmetric")>]
let ``a non-symmetric dissipation is caught by dissipation-symmetric`` (g: GridR) =
    let grid = Recipe.grid g
    Reusable.catches "dissipation-symmetric" (sprintf "upwind on %O" grid) (Reusable.checkOperatorOn (Broken.Upwind()) true grid 1)

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("conservation-antisymmetric"); BreaksLaw("energy-conserved-without-dissipation")>]
let ``a symmetric conservation is caught by conservation-antisymmetric`` (g: GridR) =
    let grid = Recipe.grid g
    let results = Reusable.checkOperatorOn (Broken.SymmetricConservation()) false grid 1
    Reusable.catches "conservation-antisymmetric" (sprintf "a symmetric W on %O" grid) results
    .&. Reusable.catches "energy-conserved-without-dissipation" (sprintf "a symmetric W on %O" grid) results

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("energy-lower-bound")>]
let ``an energy term below its claimed bound is caught by energy-lower-bound`` (g: GridR) =
    Reusable.singleThreaded ()
    let grid = Recipe.grid g
    Reusable.catches "energy-lower-bound" (sprintf "-u^4 >= 0 on %O" grid) (Laws.CheckEnergyTerm(Broken.NegativeQuartic(), grid))

let private line (Points1D n) = Grid.Periodic(2.0 * Math.PI, n)

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("energy-law")>]
let ``an anti-dissipation is caught by energy-law`` (g: GridR) =
    let grid = Recipe.grid g
    Reusable.catches "energy-law" (sprintf "-I as M on %O" grid) (Reusable.checkOperatorOn (Broken.ScaledIdentity(-1.0, false)) true grid 1)

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("mass-conservation")>]
let ``a false mass promise is caught by mass-conservation`` (g: GridR) =
    let grid = Recipe.grid g
    Reusable.catches "mass-conservation" (sprintf "I claiming M 1 = 0 on %O" grid) (Reusable.checkOperatorOn (Broken.ScaledIdentity(1.0, true)) true grid 1)

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("shift-equivariance")>]
let ``position dependence is caught by shift-equivariance`` (g: GridR) =
    let grid = Recipe.grid g
    Reusable.catches "shift-equivariance" (sprintf "diag(1 + x/L) on %O" grid) (Reusable.checkOperatorOn (Broken.PositionDependent()) true grid 1)

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("variational-derivative-fd"); BreaksLaw("variational-derivative-closed-form")>]
let ``a wrong closed-form derivative is caught by both derivative laws`` (g: GridR) =
    Reusable.singleThreaded ()
    let grid = Recipe.grid g
    let results = Laws.CheckEnergyTerm(Broken.WrongDerivative(), grid)
    Reusable.catches "variational-derivative-fd" (sprintf "u^4 with 1.5 dE on %O" grid) results
    .&. Reusable.catches "variational-derivative-closed-form" (sprintf "u^4 with 1.5 dE on %O" grid) results

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("energy-coercive")>]
let ``a negative quartic is caught by energy-coercive`` (g: GridR) =
    Reusable.singleThreaded ()
    let grid = Recipe.grid g
    Reusable.catches "energy-coercive" (sprintf "-u^4 on %O" grid) (Laws.CheckEnergyTerm(Broken.NegativeQuartic(), grid))

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("gauge-invariance")>]
let ``lambda E without K over lambda is caught by gauge-invariance`` (n: Points1D) =
    Reusable.singleThreaded ()
    let model = KnownMembers.AllenCahn(line n)
    let gauges : IReadOnlyList<struct (string * Func<Model, Model>)> =
        [| struct ("lambda E without K / lambda", Func<Model, Model>(fun m -> Model(m.Grid, m.Fields, m.Energy.Scale(2.0), m.Dissipation, m.Conservation))) |]
    Reusable.catches "gauge-invariance" "Allen-Cahn with E doubled" [ Laws.GaugeInvariance(model, gauges) ]

/// The closure law passes the library's combinator and catches the broken one, on Heat (M only) or KdV (W only).
let private closure (law: string) (subject: string) (model: Model) (honest: Model -> LawResult) (broken: Model -> LawResult) =
    Reusable.singleThreaded ()
    let h = honest model
    (h.Violations = 0 |> Prop.label (sprintf "%s failed the library's combinator: %s" law (Reusable.describeLaw h)))
    .&. Reusable.catches law subject [ broken model ]

let private otherM : Dissipation = Dissipation.Mobility(NonNegative.Of 0.5)
let private otherW : Conservation = Conservation.Stencil(ParamArray.Fixed(0.5), 1)
let private keepM = Func<Dissipation, Dissipation>(id)
let private keepW = Func<Conservation, Conservation>(id)

[<Property(MaxTest = 20, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("closure-sum")>]
let ``a sum with an off-by-one is caught by closure-sum`` (n: Points1D) =
    let heat, kdv = KnownMembers.Heat(line n), KnownMembers.KdV(line n)
    closure "closure-sum" "A + S B of M" heat (fun m -> Laws.Closure("closure-sum", m, Func<_, _>(fun d -> d + otherM), keepW))
                                              (fun m -> Laws.Closure("closure-sum", m, Func<_, _>(fun d -> Broken.shiftedSumM m d otherM), keepW))
    .&. closure "closure-sum" "A + S B of W" kdv (fun m -> Laws.Closure("closure-sum", m, keepM, Func<_, _>(fun w -> w + otherW)))
                                                 (fun m -> Laws.Closure("closure-sum", m, keepM, Func<_, _>(fun w -> Broken.shiftedSumW m w otherW)))

[<Property(MaxTest = 20, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("closure-scaling")>]
let ``a negative factor past validation is caught by closure-scaling`` (n: Points1D) =
    let heat = KnownMembers.Heat(line n)
    closure "closure-scaling" "-2 M" heat (fun m -> Laws.Closure("closure-scaling", m, Func<_, _>(fun d -> Dissipation.Scaled(Param.op_Implicit 2.0, d) :> Dissipation), keepW))
                                          (fun m -> Laws.Closure("closure-scaling", m, Func<_, _>(fun d -> Broken.negativeScaledM -2.0 m d), keepW))

[<Property(MaxTest = 20, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("closure-scaling")>]
let ``a weight on one side only is caught by closure-scaling`` (n: Points1D) =
    let heat = KnownMembers.Heat(line n)
    closure "closure-scaling" "diag(s) M" heat (fun m -> Laws.Closure("closure-scaling", m, Func<_, _>(fun d -> Dissipation.Weighted(NonNegative.Of 1.5, d) :> Dissipation), keepW))
                                               (fun m -> Laws.Closure("closure-scaling", m, Func<_, _>(fun d -> Broken.oneSidedWeightM m d), keepW))

[<Property(MaxTest = 20, Arbitrary = [| typeof<Arbs> |]); BreaksLaw("closure-congruence")>]
let ``a congruence without its transpose is caught by closure-congruence`` (n: Points1D) =
    let heat, kdv = KnownMembers.Heat(line n), KnownMembers.KdV(line n)
    closure "closure-congruence" "D+ M D+" heat (fun m -> Laws.Closure("closure-congruence", m, Func<_, _>(fun d -> Dissipation.Congruence(Linear.Forward(), d) :> Dissipation), keepW))
                                                (fun m -> Laws.Closure("closure-congruence", m, Func<_, _>(fun d -> Broken.untransposedM m d), keepW))
    .&. closure "closure-congruence" "D+ W D+" kdv (fun m -> Laws.Closure("closure-congruence", m, keepM, Func<_, _>(fun w -> Conservation.Congruence(Linear.Forward(), w) :> Conservation)))
                                                   (fun m -> Laws.Closure("closure-congruence", m, keepM, Func<_, _>(fun w -> Broken.untransposedW m w)))

// ---------------------------------------------------------------- the scheme laws can fail (each one alone)

let private grid16 = Grid.Periodic(2.0 * Math.PI, 16)
let private dtS = 0.01
// Solved to a state residual only (a W that is not antisymmetric can never close DgOptions.Laws' energy defect).
let private dgState : Stepper = Stepper.DiscreteGradient(DgOptions.Default)
let private dgLaws : Stepper = Stepper.DiscreteGradient(DgOptions.Laws)
let private dgLawsStart : Stepper = Stepper.DiscreteGradient(DgOptions(Tolerance = 1e-12, EnergyTolerance = Nullable 1e-14, MaxIterations = 60, Freeze = Freeze.Start, MaxSubsteps = 64))

/// The named scheme law fails (converged, not a crash, by a wide margin) and every other law that applies passes.
let private onlyBreaks (law: string) (results: ImmutableArray<LawResult>) =
    let named (r: LawResult) = r.Name.StartsWith(law + " [", StringComparison.Ordinal)
    let broken = results |> Seq.filter named |> List.ofSeq
    let others = results |> Seq.filter (named >> not) |> List.ofSeq
    let all = results |> Seq.map Reusable.describeLaw |> String.concat "\n  "
    let caught =
        match broken with
        | [ r ] -> r.Violations > 0 && r.Unconverged = 0 && r.WorstMargin > 1e3
        | _ -> false
    let othersPass = others |> List.forall (fun r -> r.Violations = 0 && not (r.Name.StartsWith(SchemeLaws.Crashed, StringComparison.Ordinal)))
    (caught && othersPass) |> Prop.label (sprintf "expected only %s to fail:\n  %s" law all)

let private seedOf (s: int) = abs (s % 1000)
let private withOperators (m: Model) (d: Dissipation | null) (w: Conservation | null) = Model(m.Grid, m.Fields, m.Energy, d, w)

[<Property(MaxTest = 5); BreaksLaw("step-identity")>]
let ``a symmetric W beside an honest M breaks only step-identity`` (seed: int) =
    Reusable.singleThreaded ()
    let ac = KnownMembers.AllenCahn(grid16)
    onlyBreaks "step-identity" (SchemeLaws.Check(withOperators ac ac.Dissipation (Conservation.Custom(Broken.ScaledIdentity(0.5, false))), dgState, dtS, seedOf seed))

[<Property(MaxTest = 5); BreaksLaw("step-no-energy-rise")>]
let ``a negative mobility breaks only step-no-energy-rise`` (seed: int) =
    Reusable.singleThreaded ()
    let ac = KnownMembers.AllenCahn(grid16)
    onlyBreaks "step-no-energy-rise" (SchemeLaws.Check(withOperators ac (Dissipation.Custom(Broken.ScaledIdentity(-0.5, false))) null, dgState, dtS, seedOf seed))

[<Property(MaxTest = 5); BreaksLaw("step-mass-conserved")>]
let ``a false mass promise breaks only step-mass-conserved`` (seed: int) =
    Reusable.singleThreaded ()
    let ac = KnownMembers.AllenCahn(grid16)
    onlyBreaks "step-mass-conserved" (SchemeLaws.Check(withOperators ac (Dissipation.Custom(Broken.ScaledIdentity(1.0, true))) null, dgState, dtS, seedOf seed))

[<Property(MaxTest = 5); BreaksLaw("step-energy-conserved")>]
let ``KdV stepped as KdV-Burgers breaks only step-energy-conserved`` (seed: int) =
    Reusable.singleThreaded ()
    use viscous = Dynamics.Compile(KnownMembers.KdVBurgers(grid16, 0.05))
    let step = Func<CompiledModel, Stepper, torch.Tensor, float, StepResult>(fun _ s u dt -> Steppers.TryStep(viscous, s, u, dt))
    onlyBreaks "step-energy-conserved" (SchemeLaws.Check(KnownMembers.KdV(grid16), dgLawsStart, dtS, step, seedOf seed))

[<Property(MaxTest = 5); BreaksLaw("step-reversible")>]
let ``Kbar frozen at the start breaks only step-reversible`` (seed: int) =
    Reusable.singleThreaded ()
    let step = Func<CompiledModel, Stepper, torch.Tensor, float, StepResult>(fun m _ u dt -> Steppers.TryStep(m, dgLawsStart, u, dt))
    onlyBreaks "step-reversible" (SchemeLaws.Check(KnownMembers.KdV(grid16), dgLaws, dtS, step, seedOf seed))

[<Fact; BreaksLaw(SchemeLaws.Crashed)>]
let ``a throwing operator is reported as step-crashed, not as a law violation`` () =
    Reusable.singleThreaded ()
    let ac = KnownMembers.AllenCahn(grid16)
    let results = SchemeLaws.Check(withOperators ac ac.Dissipation (Conservation.Custom(Broken.Throwing())), dgState, dtS)
    let r = Assert.Single(results)
    Assert.StartsWith(SchemeLaws.Crashed + " [", r.Name)
    Assert.Equal(1, r.Violations)
    Assert.Contains("the broken operator threw", r.FirstViolation)

[<Fact>]
let ``every law has a can-fail property here`` () =
    let flags = BindingFlags.Public ||| BindingFlags.NonPublic ||| BindingFlags.Static ||| BindingFlags.Instance ||| BindingFlags.DeclaredOnly
    let marked =
        Assembly.GetExecutingAssembly().GetTypes()
        |> Seq.collect (fun t -> t.GetMethods(flags))
        |> Seq.collect (fun m -> m.GetCustomAttributes(typeof<BreaksLawAttribute>, false) |> Seq.cast<BreaksLawAttribute> |> Seq.map (fun a -> m, a.Law))
        |> List.ofSeq
    let laws = Seq.concat [ Laws.Names :> seq<string>; SchemeLaws.Names :> seq<string>; Seq.singleton SchemeLaws.Crashed ] |> Set.ofSeq
    let covered = marked |> List.map snd |> Set.ofList
    Assert.True(Laws.Names.Length >= 15)
    Assert.Empty(Set.difference laws covered)        // a law with no can-fail property
    Assert.Empty(Set.difference covered laws)        // a mark naming no law
    for (m, law) in marked do
        let fact = m.GetCustomAttributes(typeof<FactAttribute>, true) |> Seq.cast<FactAttribute> |> Seq.tryExactlyOne
        Assert.True(fact.IsSome && isNull fact.Value.Skip, sprintf "%s is marked for %s but is not a running test" m.Name law)

// ---------------------------------------------------------------- the reusable helpers on correct primitives

/// A correct user mobility: diag(1 + u^2) (symmetric PSD).
type private GoodMobility() =
    interface ICustomOperator with
        member _.Formula = "diag(1 + u^2)"
        member _.Apply(u, g, grid) = (u.square() + 1.0) * g

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |])>]
let ``a correct user mobility passes every law (Reusable.lawsHoldFor)`` (g: GridR) =
    Reusable.lawsHoldFor (GoodMobility()) true (Recipe.grid g)
