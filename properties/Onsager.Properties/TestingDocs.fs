/// Onsager.Testing is a package: every public member a user sees has an XML doc comment. The F# compiler has no
/// missing-doc warning (FS3390 checks only malformed docs), so this test compares the assembly's public members, by
/// reflection, with the names its Onsager.Testing.xml documents.
module Onsager.Properties.TestingDocs

open System
open System.IO
open System.Reflection
open System.Runtime.CompilerServices
open System.Xml.Linq
open Microsoft.FSharp.Core
open Microsoft.FSharp.Reflection
open Xunit

let private assembly = typeof<Onsager.Testing.MemberArbs>.Assembly

/// The documented names with a non-empty summary, e.g. "M:Onsager.Testing.Members.gen" (parameters and generic arity dropped).
let private documented () =
    let xml = match Path.ChangeExtension(assembly.Location, ".xml") with null -> "Onsager.Testing.xml" | x -> x
    Assert.True(File.Exists xml, sprintf "%s is missing: GenerateDocumentationFile must be on in Onsager.Testing.fsproj" xml)
    XDocument.Load(xml).Descendants(XName.Get "member")
    |> Seq.filter (fun m ->
        match m.Element(XName.Get "summary") with
        | null -> false
        | s -> not (String.IsNullOrWhiteSpace s.Value))
    |> Seq.map (fun m ->
        match m.Attribute(XName.Get "name") with
        | null -> ""
        | a -> (a.Value.Split([| "(" |], StringSplitOptions.None)[0]).Split([| "``" |], StringSplitOptions.None)[0])
    |> Set.ofSeq

let private generated (m: MemberInfo) = m.IsDefined(typeof<CompilerGeneratedAttribute>, false)

let private mapping (m: MemberInfo) : SourceConstructFlags option =
    match m.GetCustomAttribute<CompilationMappingAttribute>() with
    | null -> None
    | a -> Some a.SourceConstructFlags

/// Every public member written in the F# sources, as its doc name: types, union cases, record fields, module values
/// and functions, static and instance members. Left out: what the compiler generates (Equals, CompareTo, Tag, IsCase,
/// NewCase, a case's Item fields, the classes that represent cases) and property accessors.
let private required () =
    let flags = BindingFlags.Public ||| BindingFlags.Static ||| BindingFlags.Instance ||| BindingFlags.DeclaredOnly
    [ for t in assembly.GetExportedTypes() do
        let ofUnion = match t.DeclaringType with null -> false | d -> FSharpType.IsUnion(d, true)
        if not ofUnion && not (generated t) then
            let name = (match t.FullName with null -> t.Name | n -> n).Replace('+', '.')
            let isUnion = FSharpType.IsUnion(t, true)
            yield "T:" + name
            if isUnion then
                for c in FSharpType.GetUnionCases(t, true) do yield sprintf "T:%s.%s" name c.Name
            for m in t.GetMethods flags do
                let caseMaker = mapping m |> Option.exists (fun f -> f.HasFlag SourceConstructFlags.UnionCase)
                if not m.IsSpecialName && not (generated m) && not caseMaker then yield sprintf "M:%s.%s" name m.Name
            for p in t.GetProperties flags do
                let caseField = isUnion && mapping p |> Option.exists (fun f -> f.HasFlag SourceConstructFlags.Field)
                if not (generated p) && not caseField then yield sprintf "P:%s.%s" name p.Name ]
    |> List.distinct

[<Fact>]
let ``every public member of Onsager.Testing has an XML doc`` () =
    let docs = documented ()
    let members = required ()
    let missing = members |> List.filter (fun m -> not (docs.Contains m))
    Assert.True(members.Length > 60, sprintf "only %d public members found (76 when written): the reflection above is broken" members.Length)
    Assert.True(List.isEmpty missing, sprintf "%d of %d public members have no XML doc:\n  %s" missing.Length members.Length (String.Join("\n  ", missing)))
