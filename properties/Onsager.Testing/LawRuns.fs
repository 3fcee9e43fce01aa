namespace Onsager.Testing

// Law properties over random members that also count what they checked: a law whose preconditions the generated
// members lack makes 0 checks and passes vacuously, so a run states what share of its cases must have been checked
// and fails below it. And the one-call check of a variant of the class, the F# side of Laws.CheckVariant.

open System
open FsCheck
open FsCheck.FSharp
open Onsager.Numbers
open Onsager.Algebra
open Onsager.Time
open Onsager.Guarantees
open Onsager.Properties

/// What one law did over a run of generated cases.
type LawCount =
    { /// The law's name.
      Law: string
      /// Cases generated (and passed).
      Cases: int
      /// Cases on which the law made at least one check.
      Checked: int
      /// Checks made in all.
      Checks: int64 }

    /// The share of cases on which the law made at least one check.
    member c.Share = float c.Checked / float (max 1 c.Cases)

    /// One line: the law, its cases, how many were checked (and the share), the checks.
    override c.ToString() =
        sprintf "%-38s %4d cases, %4d checked (%3.0f %%), %7d checks" c.Law c.Cases c.Checked (100.0 * c.Share) c.Checks

/// FsCheck properties of the laws on members and on variants of the class.
module LawChecks =
    let private labelled (recipe: MemberRecipe) (model: Model) (r: LawResult) =
        (r.Violations = 0)
        |> Prop.label (sprintf "member %O: %s\ngrid: %O, %d field(s)\n%s" recipe (model.Describe()) model.Grid model.Fields (Reusable.describeLaw r))

    /// Holds when the law (a name from Laws.Names) has no violation on variant(member).
    let lawHolds (law: string) (variant: Model -> Model) (recipe: MemberRecipe) : Property =
        Reusable.singleThreaded ()
        let model = variant (recipe.ToModel())
        labelled recipe model (Laws.Check(law, model))

    /// Holds when every law has no violation on variant(member): the FsCheck form of Laws.CheckVariant.
    let variantLawsHold (variant: Model -> Model) (recipe: MemberRecipe) : Property =
        Reusable.singleThreaded ()
        let model = variant (recipe.ToModel())
        Reusable.allHold (sprintf "member %O: %s\ngrid: %O, %d field(s)" recipe (model.Describe()) model.Grid model.Fields) (Laws.Check model)

    /// Laws.CheckVariant in one call: every law on variant(m) for random:seed .. random:seed+members-1 (verify's
    /// members); throws with the readable report (each failing law, its members, the smallest failing member) on a failure.
    let checkVariant (variant: Model -> Model) (members: int) (seed: int) : unit =
        Reusable.singleThreaded ()
        let report = Laws.CheckVariant(Func<Model, Model>(variant), members, seed)
        if not report.Passed then failwith (string report)

    /// The result of a scheme law (a name from SchemeLaws.Names) on a member, stepped once by the stepper with step dt;
    /// 0 checks when the law does not apply. A crashed step is a failure of every scheme law (as a result with a violation).
    let schemeLaw (law: string) (stepper: Stepper) (dt: float) (seed: int) (model: Model) : LawResult =
        Reusable.singleThreaded ()
        let results = SchemeLaws.Check(model, stepper, dt, seed)
        let named prefix = results |> Seq.tryFind (fun r -> r.Name.StartsWith(prefix + " [", StringComparison.Ordinal))
        match named SchemeLaws.Crashed, named law with
        | Some crash, _ -> LawResult(law, crash.Checks, crash.Violations, crash.WorstMargin, crash.FirstViolation)
        | None, Some r -> r
        | None, None -> LawResult(law, 0, 0, 0.0)

    /// Runs FsCheck (config: MaxTest cases, a failure shrinks and throws) on `judge` over variant(member) for the
    /// arbitrary's members, and counts on how many cases the judged law made checks. A case passes when the judged
    /// result has no violation.
    let countChecks (config: Config) (law: string) (arbitrary: Arbitrary<MemberRecipe>) (variant: Model -> Model) (judge: Model -> LawResult) : LawCount =
        let mutable cases, checkedCases, checks = 0, 0, 0L
        let property (recipe: MemberRecipe) =
            let model = variant (recipe.ToModel())
            let r = judge model
            if r.Violations = 0 then
                cases <- cases + 1
                checks <- checks + int64 r.Checks
                if r.Checks > 0 then checkedCases <- checkedCases + 1
            labelled recipe model r
        Check.One(config, Prop.forAll arbitrary property)
        { Law = law; Cases = cases; Checked = checkedCases; Checks = checks }

    /// Fails (with the counts) when the law made checks on fewer than minShare of its cases, or on none.
    let requireShare (minShare: float) (c: LawCount) : unit =
        if c.Checked = 0 || c.Share < minShare then
            failwithf "%s: checked on %d of %d cases (%.0f %%), below the stated %.0f %%: the law is (nearly) vacuous on its generator"
                c.Law c.Checked c.Cases (100.0 * c.Share) (100.0 * minShare)
