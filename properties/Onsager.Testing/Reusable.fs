/// Property building blocks a researcher can reuse on a new member or a new primitive, e.g.
///
///     [<Property(MaxTest = 50, Arbitrary = [| typeof<Onsager.Properties.Arbs> |])>]
///     let ``my operator is a dissipation`` (g: GridR) =
///         Reusable.lawsHoldFor (MyOperator()) true (Recipe.grid g)
///
/// Every function returns an FsCheck Property labelled with the member's formula and the first violation of each
/// failing law, so that a failure shrinks to a small grid and prints what went wrong.
module Onsager.Properties.Reusable

open FsCheck
open FsCheck.FSharp
open Onsager.Numbers
open Onsager.Algebra
open Onsager.Guarantees

/// The laws work on small tensors (at most a few hundred sites). With libtorch's default of one intra-op thread per
/// core, a small FFT costs 0.2 ms on an idle 2-core machine but 7-15 ms when another process keeps one core busy
/// (OpenMP threads wait on each other): a law check then goes from 5 ms to about 1 s. The helpers below therefore run
/// torch with one thread (once per process; call it yourself before using Laws directly).
let singleThreaded =
    let once = lazy (TorchSharp.torch.set_num_threads 1)
    fun () -> once.Force()

/// "law: checks, violations, worst margin, first violation" for a failing law.
let describeLaw (r: LawResult) =
    sprintf "%s: %d of %d checks violated (worst margin %.3g)%s" r.Name r.Violations r.Checks r.WorstMargin
        (match r.FirstViolation with null -> "" | v -> ": " + v)

/// Holds when no law in the results is violated; the label names the failing laws and the subject.
let allHold (subject: string) (results: LawResult seq) : Property =
    singleThreaded ()
    let failing = results |> Seq.filter (fun r -> r.Violations > 0) |> Seq.toList
    (List.isEmpty failing)
    |> Prop.label (sprintf "%s\nfailing laws:\n  %s" subject (failing |> List.map describeLaw |> String.concat "\n  "))

/// Holds when one law (a name from Laws.Names) has no violation on the member.
let lawHolds (law: string) (model: Model) : Property =
    singleThreaded ()
    let r = Laws.Check(law, model)
    (r.Violations = 0) |> Prop.label (sprintf "member: %s\ngrid: %O, %d field(s)\n%s" (model.Describe()) model.Grid model.Fields (describeLaw r))

/// Holds when every law has no violation on the member.
let memberLawsHold (model: Model) : Property =
    singleThreaded ()
    allHold (sprintf "member: %s\ngrid: %O, %d field(s)" (model.Describe()) model.Grid model.Fields) (Laws.Check model)

/// Every law's results on a probe member whose M (asDissipation = true) or W (false) is the user's operator.
let checkOperatorOn (op: ICustomOperator) (asDissipation: bool) (grid: Grid) (fields: int) =
    singleThreaded ()
    if asDissipation then Laws.CheckDissipation(op, grid, fields) else Laws.CheckConservation(op, grid, fields)

/// Holds when a user's operator keeps every law on a probe member of one field: as a dissipation (asDissipation =
/// true: symmetric PSD promised) or as a conservation (antisymmetric promised).
let lawsHoldFor (op: ICustomOperator) (asDissipation: bool) (grid: Grid) : Property =
    allHold (sprintf "%s %s on %O" (if asDissipation then "dissipation" else "conservation") op.Formula grid)
            (checkOperatorOn op asDissipation grid 1)

/// Same with several fields.
let lawsHoldForFields (op: ICustomOperator) (asDissipation: bool) (grid: Grid) (fields: int) : Property =
    allHold (sprintf "%s %s on %O, %d fields" (if asDissipation then "dissipation" else "conservation") op.Formula grid fields)
            (checkOperatorOn op asDissipation grid fields)

/// Holds when a user's energy term keeps every law on a probe member (anchor, mobility, transport).
let energyTermLawsHoldFor (term: ICustomEnergy) (grid: Grid) : Property =
    singleThreaded ()
    allHold (sprintf "energy term %s on %O" term.Formula grid) (Laws.CheckEnergyTerm(term, grid))

/// Holds when the named law IS violated (at least once) in the results: the law can fail, i.e. it catches a broken primitive.
let catches (law: string) (subject: string) (results: LawResult seq) : Property =
    match results |> Seq.tryFind (fun r -> r.Name = law) with
    | None -> false |> Prop.label (sprintf "no law named %s" law)
    | Some r ->
        (r.Violations > 0)
        |> Prop.label (sprintf "%s was NOT caught by %s (%d checks, worst margin %.3g)" subject law r.Checks r.WorstMargin)
