package io.pikemix.training;

import io.pikemix.format.Checks;

/**
 * A micro-batch of packed rows: {@code inputs} are the first T tokens of each row, {@code targets} the last T
 * (next-token ids), both flattened row-major to length rows·T.
 */
public record Batch(int rows, int context, int[] inputs, int[] targets) {
    public Batch {
        Checks.require(
                inputs.length == rows * context && targets.length == rows * context,
                "batch of %d rows × %d tokens has %d inputs and %d targets",
                rows,
                context,
                inputs.length,
                targets.length);
    }

    /** From stored rows of context+1 ids each. */
    public static Batch of(int[][] rowTokens, int context) {
        int n = rowTokens.length;
        var in = new int[n * context];
        var out = new int[n * context];
        for (int r = 0; r < n; r++) {
            Checks.require(
                    rowTokens[r].length == context + 1,
                    "row %d has %d tokens, expected context + 1 = %d",
                    r,
                    rowTokens[r].length,
                    context + 1);
            System.arraycopy(rowTokens[r], 0, in, r * context, context);
            System.arraycopy(rowTokens[r], 1, out, r * context, context);
        }
        return new Batch(n, context, in, out);
    }
}
