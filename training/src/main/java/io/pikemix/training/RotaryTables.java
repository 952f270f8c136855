package io.pikemix.training;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Constant tables of the attention: rotary position embeddings (Su et al. 2021, "rotate half" form as in
 * GPT-NeoX) and the additive causal mask.
 *
 *   θ_i = 10000^(−2i/D) for i ∈ [0, D/2),   angle(t, j) = t · θ_(j mod D/2)
 *   rope(x)[t, j] = x[t, j]·cos(angle(t, j)) + rot(x)[t, j]·sin(angle(t, j)),
 *   rot(x) = (−x[D/2 …D), x[0 …D/2)) = x @ R
 *
 * so the score ⟨rope(q)_t, rope(k)_s⟩ depends on t and s only through t − s.
 */
public final class RotaryTables {
    private RotaryTables() {}

    static final double BASE = 10000;

    static double angle(int t, int j, int D) {
        int i = j % (D / 2);
        return t * Math.pow(BASE, -2.0 * i / D);
    }

    /** cos(angle(t, j)) broadcast over heads: [T, H, D]. */
    public static INDArray cos(int T, int H, int D) {
        return table(T, H, D, true);
    }

    /** sin(angle(t, j)) broadcast over heads: [T, H, D]. */
    public static INDArray sin(int T, int H, int D) {
        return table(T, H, D, false);
    }

    private static INDArray table(int T, int H, int D, boolean cos) {
        var v = new float[T * H * D];
        for (int t = 0; t < T; t++)
            for (int h = 0; h < H; h++)
                for (int j = 0; j < D; j++) {
                    double a = angle(t, j, D);
                    v[(t * H + h) * D + j] = (float) (cos ? Math.cos(a) : Math.sin(a));
                }
        return Nd4j.create(v, new long[] {T, H, D}, 'c');
    }

    /** R [D, D] with (x @ R) = (−x_(D/2…D), x_(0…D/2)). */
    static INDArray rotateHalf(int D) {
        var r = new float[D * D];
        int half = D / 2;
        for (int j = 0; j < half; j++) {
            r[(j + half) * D + j] = -1; // out[j] = −x[j + D/2]
            r[j * D + j + half] = 1; // out[j + D/2] = x[j]
        }
        return Nd4j.create(r, new long[] {D, D}, 'c');
    }

    /** [T, T]: 0 where key j ≤ query i, {@code masked} above the diagonal. */
    public static INDArray causalMask(int T, float masked) {
        var m = new float[T * T];
        for (int i = 0; i < T; i++) for (int j = i + 1; j < T; j++) m[i * T + j] = masked;
        return Nd4j.create(m, new long[] {T, T}, 'c');
    }
}
