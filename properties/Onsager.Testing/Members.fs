namespace Onsager.Testing

// Random members from the generator `onsager verify` uses (Onsager.Algebra.RandomMembers), as FsCheck values: a member is its
// recipe (MemberRecipe, the generator's draws), generated from a seed and shrunk by the recipe (1D grids, one field,
// shallower trees, fewer and smaller draws), so a failure shrinks to a small member that the generator itself built.

open System
open FsCheck
open FsCheck.FSharp
open Onsager.Algebra

/// Generators and shrinkers of members (MemberRecipe) for FsCheck.
module Members =
    /// RandomMembers' default options (verify's members: 1D grids of 8..256 points, 2D up to 16 x 16).
    let verify = RandomMemberOptions.Default

    /// RandomMembers with grids of at most 64 points (2D: 12 x 12): the properties' members, cheap enough for hundreds of cases.
    let small = RandomMemberOptions(MaxPoints = 64, MaxPoints2D = 12)

    /// Recipes of members from random seeds.
    let gen (options: RandomMemberOptions) : Gen<MemberRecipe> =
        Gen.choose (0, Int32.MaxValue - 1) |> Gen.map (fun seed -> MemberRecipe.FromSeed(seed, options))

    /// Simpler recipes, most aggressive first (MemberRecipe.Shrink).
    let shrink (recipe: MemberRecipe) : MemberRecipe seq = recipe.Shrink()

    /// The arbitrary of members with these options.
    let arbitrary (options: RandomMemberOptions) : Arbitrary<MemberRecipe> = Arb.fromGenShrink (gen options, shrink)

/// Register with [<Property(Arbitrary = [| typeof<MemberArbs> |])>]: a MemberRecipe argument is then a random member
/// of Members.small; call recipe.ToModel() for the member.
type MemberArbs =
    /// Members.small's recipes.
    static member MemberRecipe() = Members.arbitrary Members.small
