using System.Reflection;
using System.Reflection.Emit;

namespace Onsager.Tests;

/// <summary>The instructions of a method's IL body, for the tests that read what compiled code names or calls.</summary>
internal static class IlWalk
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Each instruction: where it starts, its opcode and where its operand starts (a metadata token for the
    /// Inline* operand types).</summary>
    public static IEnumerable<(int Start, OpCode Op, int Operand)> Instructions(byte[] il)
    {
        for (int i = 0; i < il.Length;)
        {
            int start = i;
            short value = il[i++];
            if (value == 0xFE) value = (short)(0xFE00 | il[i++]);
            var op = OpCodesByValue[value];
            yield return (start, op, i);
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
    }
}
