// Build a member of the generalized Onsager class by hand in F#, print its formula, run every law on it and
// print a table; exit with code 1 if any law is violated.
//
//   dotnet build Functional.sln -c Release            (once: the script loads the CLI's build output)
//   dotnet fsi docs/scripts/verify-a-member.fsx       (about 10 s; add "-- --broken" to see a violation and exit 1)
//
// build-output.fsx, beside this script, is written by every build of src/Onsager.Cli (build/ScriptReferences.targets):
// one #r per assembly of that build's output folder (any configuration, any runtime identifier), relative to this
// folder, so the script runs from any working directory. That output folder holds Onsager.Core.dll, TorchSharp.dll
// and the libtorch natives next to them; TorchSharp finds libLibTorchSharp.so and libtorch*.so beside TorchSharp.dll,
// so nothing else is needed. The natives there are the GLIBCXX-patched copies (build/GlibcxxWeakVersion.targets): an
// unpatched libLibTorchSharp.so fails on Debian 12 with a misleading "...doesn't contain a reference to
// libtorch-cpu-linux-x64..." message. (With the packages instead of a build: #r "nuget: Onsager, usepackagetargets=true",
// as in the README's first result.)

#load "build-output.fsx"   // the library from the last build of src/Onsager.Cli (written by that build)

open System
open Onsager
open Onsager.Numbers
open Onsager.Algebra
open Onsager.Guarantees

let watch = Diagnostics.Stopwatch.StartNew()
// One intra-op thread: the laws work on small tensors, and when another process keeps a core busy, libtorch's
// default two threads make each small FFT 10-100x slower (a law check goes from milliseconds to a second).
TorchSharp.torch.set_num_threads 1
let broken = fsi.CommandLineArgs |> Array.contains "--broken"

// ---------------------------------------------------------------- the member, built from the algebra's constructors

// Allen-Cahn with a transport term: u_t = -(M + W) dE with
//   E = integral a (u^2 - 1)^2 + kappa/2 |D+ u|^2     (a = 1/(4 eps^2): the double well is the coercive anchor)
//   M = diag(m), m = 1                                   (L2 relaxation)
//   W = i phi(k), phi_k = c k                            (transport c d/dx as a Fourier multiplier, odd symbol)
let grid = Grid.Periodic(2.0 * Math.PI, 64)
let eps = 0.1
let energy =
    // double -> Param is an implicit conversion in C#; F# applies it at method arguments (here written out).
    Energy(Anchor.DoubleWell(Param.Of(1.0 / (4.0 * eps * eps)), Param.Of 1.0),
           EnergyTerm.Gradient(Param.Of 1.0, Derivative.Forward))
let mobility = Dissipation.Mobility(NonNegative.Of 1.0)
let transport =
    let modes = Spectral.ModeCount grid                   // one phi per rfft mode: N/2 + 1
    Conservation.Multiplier(ParamArray.Fixed(Array.init modes (fun k -> 0.5 * float k)))

/// A deliberately wrong user primitive for --broken: a "mobility" that is negative at three sites.
type NegativeAtThreeSites() =
    interface ICustomOperator with
        member _.Formula = "diag(m), m = -1 at 3 sites"
        member _.Apply(u, g, grid) =
            let m = Array.create grid.Sites 1.0
            for site in [ 3; 17; 40 ] do m[site % grid.Sites] <- -1.0
            TorchSharp.torch.tensor(m, dtype = TorchSharp.torch.ScalarType.Float64).reshape(grid.Shape(1L, 1)) * g

let dissipation : Dissipation = if broken then Dissipation.Custom(NegativeAtThreeSites()) else mobility
let model = Model(grid, energy, dissipation, transport)

printfn "member: %s" (model.Describe())
printfn "grid:   %O, %d field(s)" model.Grid model.Fields

// ---------------------------------------------------------------- reading the algebra back from F#

/// The algebra's values are C# records in closed hierarchies: match them with type tests.
let rec explain (d: Dissipation) =
    match d with
    | :? Dissipation.Mobility as m ->
        match m.M with
        | :? NonNegative.Constant as c -> sprintf "L2 mobility, constant m = %g (Allen-Cahn type, not mass conserving)" c.C.Value
        | other -> sprintf "L2 mobility m(u) = %O" other
    | :? Dissipation.Divergence as dv -> sprintf "H^-1 (Cahn-Hilliard type) with m(u) = %O" dv.M
    | :? Dissipation.Scaled as s -> sprintf "%g x (%s)" s.C.Value (explain s.Inner)
    | :? Dissipation.Sum as s -> s.Terms |> Seq.map explain |> String.concat " + "
    | :? Dissipation.Custom as c -> sprintf "a user's operator '%s' (the laws check its promises)" c.Operator.Formula
    | other -> sprintf "%s: %O" (other.GetType().Name) other

printfn "M is:   %s" (explain model.Dissipation)
printfn "W is:   %s" (match model.Conservation with
                      | :? Conservation.Multiplier as w -> sprintf "a Fourier multiplier i phi(k) with %d modes" w.Phi.Length
                      | null -> "absent"
                      | other -> string other)
printfn "mass conserved by structure: %b, shift-equivariant: %b" (Structure.ConservesMass model) (Structure.ShiftEquivariant model)

// ---------------------------------------------------------------- the laws

let results = Laws.Check model
printfn ""
printfn "%-38s %7s %10s %13s  %s" "law" "checks" "violations" "worst margin" "first violation"
printfn "%s" (String.replicate 100 "-")
for r in results do
    printfn "%-38s %7d %10d %13.3g  %s" r.Name r.Checks r.Violations r.WorstMargin (match r.FirstViolation with null -> "" | v -> v)
let violated = results |> Seq.filter (fun r -> r.Violations > 0) |> Seq.length
printfn "%s" (String.replicate 100 "-")
printfn "%d laws, %d checks, %d violated law(s); margins are |error| / tolerance (a check fails above 1). %.1f s"
    results.Length (results |> Seq.sumBy (fun r -> r.Checks)) violated watch.Elapsed.TotalSeconds

exit (if violated > 0 then 1 else 0)
