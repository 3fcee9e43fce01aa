// Core's rooms (docs/architecture.md), visible in every file: which room may use which is checked by
// tests/Onsager.Tests/ArchitectureTests.cs, not by usings.
global using Onsager.Numbers;
global using Onsager.Algebra;
global using Onsager.Compilation;
global using Onsager.Time;
global using Onsager.Learning;
global using Onsager.Guarantees;
global using Onsager.Analysis;
