// The rooms of Onsager.Core (docs/architecture.md) the benchmarks use (not Analysis: its Diagnose would clash with the benchmarks' own).
global using Onsager.Numbers;
global using Onsager.Algebra;
global using Onsager.Compilation;
global using Onsager.Time;
global using Onsager.Learning;
global using Onsager.Guarantees;
// Core's Trajectory (a rollout), not Onsager.Data.Trajectory (a generated dataset's), as before the rooms.
global using Trajectory = Onsager.Time.Trajectory;
