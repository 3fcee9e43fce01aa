/// Every law of the class as an FsCheck property over generated members (Recipe -> Model), plus the known-truth
/// members, the gauge representative, and "can-fail" properties: deliberately broken user primitives are caught.
module Onsager.Properties.LawProperties

open System
open System.Collections.Generic
open System.Collections.Immutable
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open TorchSharp
open Onsager

// One property at a time: a collection triggered by another test thread can finalize TorchSharp's temporary Scalars
// during a native call (see tests/Onsager.Tests/TestParallelization.cs).
[<assembly: CollectionBehavior(DisableTestParallelization = true)>]
do ()

// ---------------------------------------------------------------- one property per law

let private holds (law: string) (r: Recipe) = Reusable.lawHolds law (Recipe.toModel r)

/// The laws this file covers: must be exactly Laws.Names (a new law must get its property).
let covered =
    [ "dissipation-symmetric"; "dissipation-psd-probes"; "dissipation-psd-spectrum"; "conservation-antisymmetric"
      "operator-split-psd"; "closure-sum"; "closure-scaling"; "closure-congruence"; "energy-law"
      "energy-conserved-without-dissipation"; "mass-conservation"; "variational-derivative-fd"
      "variational-derivative-closed-form"; "energy-coercive"; "energy-lower-bound"; "shift-equivariance"
      "gauge-invariance" ]

[<Fact>]
let ``every law in Laws.Names has a property here`` () =
    Assert.Equal<string list>(List.ofSeq Laws.Names |> List.sort, List.sort covered)

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``dissipation-symmetric`` (r: Recipe) = holds "dissipation-symmetric" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``dissipation-psd-probes`` (r: Recipe) = holds "dissipation-psd-probes" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``dissipation-psd-spectrum`` (r: Recipe) = holds "dissipation-psd-spectrum" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``conservation-antisymmetric`` (r: Recipe) = holds "conservation-antisymmetric" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``operator-split-psd`` (r: Recipe) = holds "operator-split-psd" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``closure-sum`` (r: Recipe) = holds "closure-sum" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``closure-scaling`` (r: Recipe) = holds "closure-scaling" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``closure-congruence`` (r: Recipe) = holds "closure-congruence" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``energy-law`` (r: Recipe) = holds "energy-law" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``energy-conserved-without-dissipation`` (r: Recipe) = holds "energy-conserved-without-dissipation" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``mass-conservation`` (r: Recipe) = holds "mass-conservation" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``variational-derivative-fd`` (r: Recipe) = holds "variational-derivative-fd" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``variational-derivative-closed-form`` (r: Recipe) = holds "variational-derivative-closed-form" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``energy-coercive`` (r: Recipe) = holds "energy-coercive" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``energy-lower-bound`` (r: Recipe) = holds "energy-lower-bound" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``shift-equivariance`` (r: Recipe) = holds "shift-equivariance" r

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``gauge-invariance`` (r: Recipe) = holds "gauge-invariance" r

// ---------------------------------------------------------------- known-truth members and the gauge representative

[<Property(MaxTest = 40, Arbitrary = [| typeof<Arbs> |])>]
let ``known-truth members pass every law on random small grids`` (which: Small) (g: GridR) (spectral: bool) =
    let name = KnownMembers.Names[Recipe.pick which KnownMembers.Names.Length]
    // D3 (KdV) reaches 2 sites: it needs more than 4 points per axis (a 2D recipe may have 4).
    let small = Recipe.grid g
    let grid = Grid(small.Lengths, small.Points |> Seq.map (max 5) |> ImmutableArray.CreateRange)
    let model = KnownMembers.Get(name, grid, spectral)
    Reusable.memberLawsHold model |> Prop.label (sprintf "known member %s (spectral %b)" name spectral)

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``the gauge representative leaves the vector field unchanged`` (r: Recipe) =
    Reusable.singleThreaded ()
    let model = Recipe.toModel r
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

/// Three sites (the first may repeat mod the grid size) and negative values in -1..-0.01.
type BrokenSites = { Sites: (int * int * int); Values: (Exponent * Exponent * Exponent) }

let private negativeMobility (grid: Grid) (sites: BrokenSites) =
    let (a, b, c) = sites.Sites
    let (x, y, z) = sites.Values
    let v e = -(Recipe.scale -2 0 e)
    let n = grid.Sites
    Broken.NegativeMobility([| abs a % n; abs b % n; abs c % n |], [| v x; v y; v z |])

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``a mobility negative at 3 sites is caught by dissipation-psd-probes`` (g: GridR) (sites: BrokenSites) =
    let grid = Recipe.grid g
    let results = Reusable.checkOperatorOn (negativeMobility grid sites) true grid 1
    Reusable.catches "dissipation-psd-probes" (sprintf "a negative mobility on %O" grid) results

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``a non-symmetric dissipation is caught by dissipation-symmetric`` (g: GridR) =
    let grid = Recipe.grid g
    Reusable.catches "dissipation-symmetric" (sprintf "upwind on %O" grid) (Reusable.checkOperatorOn (Broken.Upwind()) true grid 1)

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``a symmetric conservation is caught by conservation-antisymmetric`` (g: GridR) =
    let grid = Recipe.grid g
    Reusable.catches "conservation-antisymmetric" (sprintf "a symmetric W on %O" grid) (Reusable.checkOperatorOn (Broken.SymmetricConservation()) false grid 1)

[<Property(MaxTest = 100, Arbitrary = [| typeof<Arbs> |])>]
let ``an energy term below its claimed bound is caught by energy-lower-bound`` (g: GridR) =
    Reusable.singleThreaded ()
    let grid = Recipe.grid g
    Reusable.catches "energy-lower-bound" (sprintf "-u^4 >= 0 on %O" grid) (Laws.CheckEnergyTerm(Broken.NegativeQuartic(), grid))

// ---------------------------------------------------------------- the reusable helpers on correct primitives

/// A correct user mobility: diag(1 + u^2) (symmetric PSD).
type private GoodMobility() =
    interface ICustomOperator with
        member _.Formula = "diag(1 + u^2)"
        member _.Apply(u, g, grid) = (u.square() + 1.0) * g

[<Property(MaxTest = 30, Arbitrary = [| typeof<Arbs> |])>]
let ``a correct user mobility passes every law (Reusable.lawsHoldFor)`` (g: GridR) =
    Reusable.lawsHoldFor (GoodMobility()) true (Recipe.grid g)
