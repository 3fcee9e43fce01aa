namespace Onsager;

/// <summary>
/// What the algebra promises about a member, read off its structure (not measured): which fields have linear
/// Casimirs (mass), whether the vector field commutes with grid shifts. The laws then check the promises.
/// </summary>
public static class Structure
{
    /// <summary>Checks that field indices, axes and grid dimensions fit; throws with the reason otherwise.</summary>
    public static void Validate(Model m)
    {
        var anchored = m.Energy.Anchors.Select(a => a.On).ToHashSet();
        foreach (var a in m.Energy.Anchors) CheckField(a.On, m.Fields, "anchor");
        for (int f = 0; f < m.Fields; f++)
            if (!anchored.Contains(f))
                throw new ArgumentException($"Field {f} has no coercive anchor: every field needs a s^2 or a s^4 with a > 0 (memo section 3b).");
        if (m.Energy.Shift.Length > m.Fields) throw new ArgumentException("More Casimir shifts than fields.");
        foreach (var t in m.Energy.Terms) ValidateTerm(t, m);
        if (m.Dissipation is not null) ValidateDissipation(m.Dissipation, m.Grid, m.Fields);
        if (m.Conservation is not null) ValidateConservation(m.Conservation, m.Grid, m.Fields);
    }

    private static void CheckField(int field, int fields, string what)
    {
        if (field < 0 || field >= fields) throw new ArgumentException($"The {what} refers to field {field}, but the member has {fields} field(s).");
    }

    private static void CheckAxis(int axis, Grid g, string what)
    {
        if (axis < 0 || axis >= g.Dimensions) throw new ArgumentException($"The {what} acts along axis {axis}, but the grid is {g.Dimensions}D.");
    }

    // A band reaching N/2 wraps onto itself on the periodic grid (S^j - S^-j = 0 when 2j = N): refuse it.
    private static void CheckBand(int reach, Grid g, int axis)
    {
        if (axis >= 0 && axis < g.Dimensions && 2 * reach >= g.Points[axis])
            throw new ArgumentException($"A stencil reaching {reach} sites needs more than {2 * reach} points along axis {axis}, the grid has {g.Points[axis]}.");
    }

    private static void CheckModes(ParamArray p, Grid g, string what)
    {
        if (p.Length != Spectral.ModeCount(g))
            throw new ArgumentException($"The {what} needs one value per rfft mode of the grid ({Spectral.ModeCount(g)}), got {p.Length}.");
    }

    private static void ValidateTerm(EnergyTerm t, Model m)
    {
        switch (t)
        {
            case EnergyTerm.Quadratic q: CheckField(q.Field, m.Fields, "quadratic term"); break;
            case EnergyTerm.Gradient g: CheckField(g.Field, m.Fields, "gradient term"); break;
            case EnergyTerm.Polynomial p: CheckField(p.Field, m.Fields, "polynomial term"); break;
            case EnergyTerm.LocalNetwork n: CheckField(n.Field, m.Fields, "network term"); break;
            case EnergyTerm.InputConvex c: CheckField(c.Field, m.Fields, "input-convex term"); break;
            case EnergyTerm.Circulant c: CheckField(c.Field, m.Fields, "circulant term"); CheckModes(c.Symbol, m.Grid, "circulant energy"); break;
            case EnergyTerm.LowModes l:
                CheckField(l.Field, m.Fields, "low-mode term");
                if (m.Grid.Dimensions != 1) throw new ArgumentException("The low-mode energy is defined on 1D grids.");
                if (l.Modes < 1 || l.Modes >= m.Grid.Points[0] / 2) throw new ArgumentException($"The low-mode energy needs 1 <= modes < N/2, got {l.Modes}.");
                break;
            case EnergyTerm.Dense d:
                if (d.G.Inputs != m.Fields * m.Grid.Sites)
                    throw new ArgumentException($"The dense energy's network takes the whole state: {m.Fields * m.Grid.Sites} inputs (fields x sites), got {d.G.Inputs}.");
                break;
            case EnergyTerm.Scaled s: ValidateTerm(s.Term, m); break;
            case EnergyTerm.Sum s: foreach (var x in s.Terms) ValidateTerm(x, m); break;
            case EnergyTerm.Custom: break;
        }
    }

    private static void ValidateLinear(Linear l, Grid g, int fields)
    {
        switch (l)
        {
            case Linear.Difference d: CheckAxis(d.Axis, g, "difference"); break;
            case Linear.Select s: if (s.Fields != fields) throw new ArgumentException($"The selection is for {s.Fields} fields, the member has {fields}."); break;
            case Linear.Compose c: ValidateLinear(c.Inner, g, fields); ValidateLinear(c.Outer, g, OutputFields(c.Inner, fields)); break;
        }
    }

    internal static int OutputFields(Linear l, int fields) => l switch
    {
        Linear.Select => 1,
        Linear.Compose c => OutputFields(c.Outer, OutputFields(c.Inner, fields)),
        _ => fields
    };

    private static void CheckLowRank(ParamArray factor, int rank, Grid g, int fields, string what)
    {
        long n = (long)fields * g.Sites;
        if (factor.Length != n * rank)
            throw new ArgumentException($"The {what} of rank {rank} needs {n * rank} numbers ({n} = fields x sites rows, {rank} columns), got {factor.Length}.");
    }

    private static void ValidateDissipation(Dissipation d, Grid g, int fields)
    {
        switch (d)
        {
            case Dissipation.LowRank l: CheckLowRank(l.B, l.Rank, g, fields, "low-rank dissipation's B"); break;
            case Dissipation.Multiplier m: CheckModes(m.Theta, g, "dissipation multiplier"); break;
            case Dissipation.Banded b: CheckAxis(b.Axis, g, "banded dissipation"); CheckBand(b.B.Length - 1, g, b.Axis); break;
            case Dissipation.Sum s: foreach (var t in s.Terms) ValidateDissipation(t, g, fields); break;
            case Dissipation.Scaled s: ValidateDissipation(s.Inner, g, fields); break;
            case Dissipation.Weighted w: ValidateDissipation(w.Inner, g, fields); break;
            case Dissipation.Congruence c: ValidateLinear(c.L, g, fields); ValidateDissipation(c.Inner, g, OutputFields(c.L, fields)); break;
        }
    }

    private static void ValidateConservation(Conservation w, Grid g, int fields)
    {
        switch (w)
        {
            case Conservation.LowRank l:
                CheckLowRank(l.B, l.Rank, g, fields, "low-rank conservation's B");
                CheckLowRank(l.C, l.Rank, g, fields, "low-rank conservation's C");
                break;
            case Conservation.Multiplier m: CheckModes(m.Phi, g, "conservation multiplier"); break;
            case Conservation.Stencil s: CheckAxis(s.Axis, g, "stencil"); CheckBand(s.C.Length, g, s.Axis); break;
            case Conservation.Advection a: CheckAxis(a.Axis, g, "advection"); break;
            case Conservation.Banded b: CheckAxis(b.Axis, g, "banded conservation"); CheckBand(b.A.Length, g, b.Axis); break;
            case Conservation.Symplectic s:
                CheckField(s.Q, fields, "symplectic block"); CheckField(s.P, fields, "symplectic block");
                if (s.Q == s.P) throw new ArgumentException("The symplectic block needs two different fields.");
                break;
            case Conservation.Coupling c:
                CheckField(c.A, fields, "coupling block"); CheckField(c.B, fields, "coupling block"); CheckAxis(c.Axis, g, "coupling block");
                if (c.A == c.B) throw new ArgumentException("The coupling block needs two different fields.");
                break;
            case Conservation.Sum s: foreach (var t in s.Terms) ValidateConservation(t, g, fields); break;
            case Conservation.Scaled s: ValidateConservation(s.Inner, g, fields); break;
            case Conservation.Congruence c: ValidateLinear(c.L, g, fields); ValidateConservation(c.Inner, g, OutputFields(c.L, fields)); break;
        }
    }

    /// <summary>
    /// True when the structure promises M 1 = 0 and W 1 = 0 on every field (memo L3, 3e), so that the mass
    /// h sum u_f of each field is a Casimir for every energy.
    /// </summary>
    public static bool ConservesMass(Model m) =>
        (m.Dissipation is null || ConservesMass(m.Dissipation)) && (m.Conservation is null || ConservesMass(m.Conservation));

    public static bool ConservesMass(Dissipation d) => d switch
    {
        Dissipation.Multiplier mu => mu.Theta.Length > 0 && mu.Theta[0] == 0 && !mu.Theta.Learned,
        Dissipation.Mobility => false,
        Dissipation.Divergence => true,
        Dissipation.Banded b => Math.Abs(b.B.Values.Sum()) == 0 && !b.B.Learned,
        Dissipation.LowRank => false,                       // beta I alone moves the mass
        Dissipation.Sum s => s.Terms.All(ConservesMass),
        Dissipation.Scaled s => ConservesMass(s.Inner),
        Dissipation.Weighted => false,
        Dissipation.Congruence c => AnnihilatesConstants(c.L) || ConservesMass(c.Inner),
        Dissipation.Custom c => c.Operator.ConservesMass,
        _ => false
    };

    public static bool ConservesMass(Conservation w) => w switch
    {
        Conservation.Multiplier => true,
        Conservation.Stencil => true,
        Conservation.Advection => false,
        Conservation.Banded => true,
        Conservation.LowRank => false,                      // dense factors need not annihilate constants
        Conservation.Symplectic => false,
        Conservation.Coupling => true,
        Conservation.Sum s => s.Terms.All(ConservesMass),
        Conservation.Scaled s => ConservesMass(s.Inner),
        Conservation.Congruence c => AnnihilatesConstants(c.L) || ConservesMass(c.Inner),
        Conservation.Custom c => c.Operator.ConservesMass,
        _ => false
    };

    private static bool AnnihilatesConstants(Linear l) => l switch
    {
        Linear.Difference => true,
        Linear.Compose c => AnnihilatesConstants(c.Inner) || AnnihilatesConstants(c.Outer),
        _ => false
    };

    /// <summary>True when every primitive commutes with grid shifts (site-local or circulant), so f(S u) = S f(u) (memo L5).</summary>
    public static bool ShiftEquivariant(Model m) =>
        ShiftInvariant(m.Energy) && (m.Dissipation is null || ShiftEquivariant(m.Dissipation)) && (m.Conservation is null || ShiftEquivariant(m.Conservation));

    private static bool ShiftInvariant(Energy e) => e.Terms.All(ShiftInvariant);

    private static bool ShiftInvariant(EnergyTerm t) => t switch
    {
        EnergyTerm.Custom c => c.Term.ShiftInvariant,
        EnergyTerm.LowModes => false,                       // a network of (Re, Im) of modes: phases move under shifts
        EnergyTerm.Dense => false,                          // a network of the sites in their order
        EnergyTerm.Scaled s => ShiftInvariant(s.Term),
        EnergyTerm.Sum s => s.Terms.All(ShiftInvariant),
        _ => true
    };

    private static bool ShiftEquivariant(Dissipation d) => d switch
    {
        Dissipation.LowRank => false,
        Dissipation.Custom c => c.Operator.ShiftEquivariant,
        Dissipation.Sum s => s.Terms.All(ShiftEquivariant),
        Dissipation.Scaled s => ShiftEquivariant(s.Inner),
        Dissipation.Weighted w => ShiftEquivariant(w.Inner),
        Dissipation.Congruence c => ShiftEquivariant(c.Inner),
        _ => true
    };

    private static bool ShiftEquivariant(Conservation w) => w switch
    {
        Conservation.LowRank => false,
        Conservation.Custom c => c.Operator.ShiftEquivariant,
        Conservation.Sum s => s.Terms.All(ShiftEquivariant),
        Conservation.Scaled s => ShiftEquivariant(s.Inner),
        Conservation.Congruence c => ShiftEquivariant(c.Inner),
        _ => true
    };

    /// <summary>True when a dissipation is present (M may still vanish on some states).</summary>
    public static bool Dissipative(Model m) => m.Dissipation is not null;
}
