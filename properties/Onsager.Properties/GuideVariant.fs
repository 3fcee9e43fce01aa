module Onsager.Properties.GuideVariant
// guide:variant-fsharp begin
open FsCheck.Xunit
open Onsager.Algebra
open Onsager.Testing

/// E doubled: still a member of the class, so every law must hold.
let doubled (m: Model) = Model(m.Grid, m.Fields, m.Energy.Scale 2.0, m.Dissipation, m.Conservation)

[<Property(MaxTest = 20, Arbitrary = [| typeof<MemberArbs> |])>]
let ``E doubled keeps every law`` (m: MemberRecipe) = LawChecks.variantLawsHold doubled m

[<Xunit.Fact>]
let ``E doubled keeps every law on random:0..19`` () = LawChecks.checkVariant doubled 20 0
// guide:variant-fsharp end

// The code above is docs/guide.md's F# variant check (section 5.1), as written; the broken variant below shows that
// both forms can fail.

open System
open System.IO
open Xunit
open FsCheck
open FsCheck.FSharp
open Onsager.Numbers

let private root () =
    let rec up (d: DirectoryInfo | null) =
        match d with
        | null -> failwith "Functional.sln not found"
        | d when File.Exists(Path.Combine(d.FullName, "Functional.sln")) -> d.FullName
        | d -> up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

let private lines (relative: string) = File.ReadAllLines(Path.Combine(root (), relative)) |> List.ofArray

[<Fact>]
let ``the guide's F# variant check is this file's code`` () =
    let guide = lines "docs/guide.md"
    let marker = guide |> List.findIndex (fun l -> l.Trim() = "<!-- guide:variant-fsharp -->")
    let block = guide |> List.skip (marker + 2) |> List.takeWhile (fun l -> not (l.StartsWith "```"))
    let source = lines "properties/Onsager.Properties/GuideVariant.fs"
    let a = source |> List.findIndex (fun l -> l.EndsWith "guide:variant-fsharp begin")
    let b = source |> List.findIndex (fun l -> l.EndsWith "guide:variant-fsharp end")
    Assert.Equal<string list>(block, source |> List.skip (a + 1) |> List.take (b - a - 1))

/// M replaced by (I - S)/h: not symmetric.
type private Upwind() =
    interface ICustomOperator with
        member _.Formula = "(I - S)/h"
        member _.Apply(u, g, grid) = -(Stencils.Forward(g, grid, 0))

let private upwind (m: Model) = Model(m.Grid, m.Fields, m.Energy, Dissipation.Custom(Upwind()), m.Conservation)

[<Fact>]
let ``a broken variant fails both forms, naming the law and a shrunk member`` () =
    let e = Assert.ThrowsAny<exn>(fun () -> LawChecks.checkVariant upwind 3 0)
    Assert.Contains("dissipation-symmetric fails on 3 member(s)", e.Message)
    let config = Config.QuickThrowOnFailure.WithMaxTest(20).WithQuietOnSuccess(true)
    let e2 = Assert.ThrowsAny<exn>(fun () -> Check.One(config, Prop.forAll (Members.arbitrary Members.small) (LawChecks.variantLawsHold upwind)))
    Assert.Contains("dissipation-symmetric", e2.Message)
    Assert.Contains("a shrunk recipe", e2.Message)
