namespace Onsager.Properties

// The leaves of hand-written properties: bounded ints (scales, coefficients, seeds, choices) and periodic grids that
// FsCheck generates and shrinks towards a simple value, and their translation into numbers and Grid values.
// Random members come from one generator, Onsager.RandomMembers, wrapped as FsCheck values in Members.fs.

open System
open FsCheck
open FsCheck.FSharp
open Onsager.Numbers
open Onsager.Algebra

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

// ---------------------------------------------------------------- grids

/// A periodic grid: a line or a plane.
type GridR =
    /// A 1D grid.
    | Line of Points1D * Length
    /// A 2D grid.
    | Plane of Points2D * Points2D * Length * Length

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

/// Register with [<Property(Arbitrary = [| typeof<Arbs> |])>]: the leaves above and grids (GridR).
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

// ---------------------------------------------------------------- translation into the C# algebra

/// Pure translation of the leaves into numbers and grids; every number is clamped into its valid range, so no
/// generated case is discarded.
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

    /// The periodic grid: 8..64 points on a line, 4..12 per axis on a plane, lengths 2 pi 10^(k/3).
    let grid (g: GridR) : Grid =
        let len (Length k) = 2.0 * Math.PI * 10.0 ** (float (clamp -2 4 k) / 3.0)
        match g with
        | Line (Points1D n, l) -> Grid.Periodic(len l, clamp 8 64 n)
        | Plane (Points2D nx, Points2D ny, lx, ly) -> Grid.Periodic(len lx, len ly, clamp 4 12 nx, clamp 4 12 ny)
