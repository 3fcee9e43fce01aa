using Onsager;
if (args[0] == "show") { foreach (var s in args.Skip(1)) { var m = RandomMembers.Generate(int.Parse(s)); Console.WriteLine($"{s}: {m.Grid} fields={m.Fields}\n  {m.Describe()}"); foreach (var l in Laws.Check(m).Where(l => !l.Passed)) Console.WriteLine($"  {l.Name} {l.WorstMargin:G3} {l.FirstViolation}"); } return; }
var report = Verification.Run(new VerificationOptions(RandomMembers: int.Parse(args.Length > 0 ? args[0] : "50"), Seed: args.Length > 1 ? int.Parse(args[1]) : 0),
    new Progress<VerificationProgress>(p => { if (p.Done % 100 == 0) Console.Error.WriteLine($"{p.Done}/{p.Total}"); }));
foreach (var l in report.Laws) Console.WriteLine($"{l.Name,-40} {l.Checks,7} {l.Violations,5} {l.WorstMargin,10:G3} {l.FirstViolation}");
Console.WriteLine($"violations: {report.Violations} of {report.Checks} checks in {report.Elapsed.TotalSeconds:F1}s");
