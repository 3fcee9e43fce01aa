namespace Onsager.Algebra;

/// <summary>
/// What the algebra promises about a member, read off its structure (not measured): which fields have linear
/// Casimirs (mass), whether the vector field commutes with grid shifts. The laws then check the promises.
/// </summary>
public static class Structure
{
    /// <summary>Checks that field indices, axes and grid dimensions fit; throws with the reason otherwise.</summary>
    public static void Validate(Model m)
    {
        ValidateEnergy(m.Energy, m.Grid, m.Fields);
        if (m.Dissipation is not null) ValidateDissipation(m.Dissipation, m.Grid, m.Fields, "dissipation");
        if (m.Conservation is not null) ValidateConservation(m.Conservation, m.Grid, m.Fields, "conservation");
    }

    // Failures name the offending field as a path inside the member (e.g. "energy.anchors[1].field"): see Checks.FieldKey.

    internal static void ValidateEnergy(Energy e, Grid g, int fields)
    {
        for (int i = 0; i < e.Anchors.Length; i++) CheckField(e.Anchors[i].On, fields, "anchor", $"energy.anchors[{i}].field");
        var anchored = e.Anchors.Select(a => a.On).ToHashSet();
        for (int f = 0; f < fields; f++)
            if (!anchored.Contains(f))
            {
                // When an anchor repeats a field another anchors, it is the likely slip: name it.
                int repeat = Enumerable.Range(1, e.Anchors.Length - 1).FirstOrDefault(i => e.Anchors.Take(i).Any(a => a.On == e.Anchors[i].On), -1);
                throw Checks.Invalid(repeat >= 0 ? $"energy.anchors[{repeat}].field" : "energy.anchors",
                    $"Field {f} has no coercive anchor: every field needs a s^2 or a s^4 with a > 0 (docs/theory.md, section 3.4)" +
                    (repeat >= 0 ? $"; anchor {repeat} is on field {e.Anchors[repeat].On}, which an earlier anchor already covers." : "."));
            }
        if (e.Shift.Length > fields) throw Checks.Invalid("energy.shift", $"More Casimir shifts ({e.Shift.Length}) than fields ({fields}).");
        for (int i = 0; i < e.Terms.Length; i++) e.Terms[i].ValidateIn(g, fields, $"energy.terms[{i}]");
    }

    internal static void CheckField(int field, int fields, string what, string at)
    {
        if (field < 0 || field >= fields) throw Checks.Invalid(at, $"The {what} refers to field {field}, but the member has {fields} field(s).");
    }

    internal static void CheckAxis(int axis, Grid g, string what, string at)
    {
        if (axis < 0 || axis >= g.Dimensions) throw Checks.Invalid(at + ".axis", $"The {what} acts along axis {axis}, but the grid is {g.Dimensions}D.");
    }

    // A band reaching N/2 wraps onto itself on the periodic grid (S^j - S^-j = 0 when 2j = N): refuse it.
    internal static void CheckBand(int reach, Grid g, int axis, string at)
    {
        if (axis >= 0 && axis < g.Dimensions && 2 * reach >= g.Points[axis])
            throw Checks.Invalid(at, $"A stencil reaching {reach} sites needs more than {2 * reach} points along axis {axis}, the grid has {g.Points[axis]}.");
    }

    internal static void CheckModes(ParamArray p, Grid g, string what, string at)
    {
        if (p.Length != Spectral.ModeCount(g))
            throw Checks.Invalid(at, $"The {what} needs one value per rfft mode of the grid ({Spectral.ModeCount(g)}), got {p.Length}.");
    }

    internal static void ValidateLinear(Linear l, Grid g, int fields, string at)
    {
        switch (l)
        {
            case Linear.Difference d: CheckAxis(d.Axis, g, "difference", at); break;
            case Linear.Select s: if (s.Fields != fields) throw Checks.Invalid(at + ".fields", $"The selection is for {s.Fields} fields, the member has {fields}."); break;
            case Linear.Compose c: ValidateLinear(c.Inner, g, fields, at + ".inner"); ValidateLinear(c.Outer, g, OutputFields(c.Inner, fields), at + ".outer"); break;
            default: throw new NotSupportedException($"Unknown linear map {l.GetType().Name}.");
        }
    }

    internal static int OutputFields(Linear l, int fields) => l switch
    {
        Linear.Select => 1,
        Linear.Difference => fields,
        Linear.Compose c => OutputFields(c.Outer, OutputFields(c.Inner, fields)),
        _ => throw new NotSupportedException($"Unknown linear map {l.GetType().Name}.")
    };

    internal static void CheckLowRank(ParamArray factor, int rank, Grid g, int fields, string what, string at)
    {
        long n = (long)fields * g.Sites;
        if (factor.Length != n * rank)
            throw Checks.Invalid(at, $"The {what} of rank {rank} needs {n * rank} numbers ({n} = fields x sites rows, {rank} columns), got {factor.Length}.");
    }

    internal static void ValidateDissipation(Dissipation d, Grid g, int fields, string at) => d.ValidateIn(g, fields, at);

    internal static void ValidateConservation(Conservation w, Grid g, int fields, string at) => w.ValidateIn(g, fields, at);

    /// <summary>
    /// True when the structure promises M 1 = 0 and W 1 = 0 on every field (L3; docs/theory.md, section 3.3), so that the mass
    /// h sum u_f of each field is a Casimir for every energy.
    /// </summary>
    public static bool ConservesMass(Model m) =>
        (m.Dissipation is null || ConservesMass(m.Dissipation)) && (m.Conservation is null || ConservesMass(m.Conservation));

    /// <summary>True when the dissipation promises M 1_f = 0 on every field (each primitive says so itself).</summary>
    public static bool ConservesMass(Dissipation d) => d.PromisesMass;

    /// <summary>True when the conservation promises W 1_f = 0 on every field (each primitive says so itself).</summary>
    public static bool ConservesMass(Conservation w) => w.PromisesMass;

    internal static bool AnnihilatesConstants(Linear l) => l switch
    {
        Linear.Difference => true,
        Linear.Select => false,
        Linear.Compose c => AnnihilatesConstants(c.Inner) || AnnihilatesConstants(c.Outer),
        _ => throw new NotSupportedException($"Unknown linear map {l.GetType().Name}.")
    };

    /// <summary>True when every primitive commutes with grid shifts (site-local or circulant), so f(S u) = S f(u) (L5 of docs/theory.md, section 3.7).</summary>
    public static bool ShiftEquivariant(Model m) =>
        ShiftInvariant(m.Energy) && (m.Dissipation is null || ShiftEquivariant(m.Dissipation)) && (m.Conservation is null || ShiftEquivariant(m.Conservation));

    private static bool ShiftInvariant(Energy e) => e.Terms.All(t => t.PromisesShiftInvariance);

    private static bool ShiftEquivariant(Dissipation d) => d.PromisesShiftEquivariance;

    private static bool ShiftEquivariant(Conservation w) => w.PromisesShiftEquivariance;

    /// <summary>True when a dissipation is present (M may still vanish on some states).</summary>
    public static bool Dissipative(Model m) => m.Dissipation is not null;
}
