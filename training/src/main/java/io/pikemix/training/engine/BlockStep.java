package io.pikemix.training.engine;

import io.pikemix.training.GptConfig;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELUDerivative;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One pre-LayerNorm transformer block over n rows (N = n·T tokens), forward and backward side by side:
 *
 *   x ← x + Attn(LN₁(x)),   x ← x + MLP(LN₂(x))          (x: the residual stream [N, C], updated in place)
 *
 * Attention: q, k = rope(qkLN(LN₁(x)·W)), v = LN₁(x)·W_v, per head A = softmax(q·kᵀ/√D + mask),
 * y = A·v, out = y·W_o; the heads are rank-4 views [n, H, T, D] of the [N, C] arrays (permute(0, 2, 1, 3)),
 * on which {@code matmul} runs one sgemm per (row, head). MLP: GELU(x·W_fc)·W_proj with
 * GELU(u) = u·σ(1.702u) (ND4J's {@code gelu}, the SameDiff reference's). The residual adds are the GEMMs'
 * beta = 1. Every weight gradient is written (beta = 0), so the gradient buffer needs no zeroing; with several
 * {@link Groups} each group's weight gradients come from its own row block.
 */
final class BlockStep {
    private final int n, T, H, D;
    private final String p;
    private final Map<String, INDArray> w;
    private final Groups groups;
    private final Pass.Shared s;
    private final LayerNormStep ln1, ln2, qln, kln;
    private final RotaryStep rope;
    // saved activations of this layer
    private final INDArray a1, a2, v, qRot, kRot, att, y, h, gl;

    BlockStep(int layer, int rows, GptConfig c, Arena arena, Map<String, INDArray> w, Groups groups, Pass.Shared s) {
        this.n = rows;
        this.T = c.context();
        this.H = c.nHead();
        this.D = c.headSize();
        this.p = "h" + layer + "/";
        this.w = w;
        this.groups = groups;
        this.s = s;
        int C = c.dModel(), N = rows * T, NH = N * H;
        double eps = c.lnEpsilon();
        a1 = arena.take(p + "a1", rows, N, C);
        a2 = arena.take(p + "a2", rows, N, C);
        v = arena.take(p + "v", rows, N, C);
        qRot = arena.take(p + "qRot", rows, NH, D);
        kRot = arena.take(p + "kRot", rows, NH, D);
        att = arena.take(p + "att", rows, n, H, T, T);
        y = arena.take(p + "y", rows, N, C);
        h = arena.take(p + "h", rows, N, 4L * C);
        gl = arena.take(p + "gl", rows, N, 4L * C);
        ln1 = new LayerNormStep(
                s.res,
                w.get(p + "ln1"),
                a1,
                arena.take(p + "xhat1", rows, N, C),
                arena.take(p + "rstd1", rows, N, 1),
                s.colC,
                s.meanN,
                eps);
        ln2 = new LayerNormStep(
                s.res,
                w.get(p + "ln2"),
                a2,
                arena.take(p + "xhat2", rows, N, C),
                arena.take(p + "rstd2", rows, N, 1),
                s.colC,
                s.meanN,
                eps);
        qln = new LayerNormStep(
                s.qRaw,
                w.get(p + "attn/q_norm"),
                s.qN,
                arena.take(p + "qhat", rows, NH, D),
                arena.take(p + "qrstd", rows, NH, 1),
                s.colD,
                s.meanNH,
                eps);
        kln = new LayerNormStep(
                s.kRaw,
                w.get(p + "attn/k_norm"),
                s.kN,
                arena.take(p + "khat", rows, NH, D),
                arena.take(p + "krstd", rows, NH, 1),
                s.colD,
                s.meanNH,
                eps);
        rope = new RotaryStep(s.cos, s.sin, s.ropeTemp);
    }

    /** [N, C] (or [N·H, D]) as the heads' view [n, H, T, D]. */
    private INDArray heads(INDArray a) {
        return a.reshape('c', true, n, T, H, D).permute(0, 2, 1, 3);
    }

    /**
     * z = alpha·op(x)·op(y) for every (row, head): x, y, z are [N, C] (or [N·H, D]) head arrays or [n, H, T, T] score
     * arrays. By default one 2-D {@code matmul} call site per (row, head) on [T, D] views (row stride C) and [T, T]
     * views, which reach BLAS directly; {@code -Dpike.attention=rank4} selects one rank-4 {@code matmul} over the
     * permuted views (M2.1 runs that through its own loop: 11–18 GFLOP/s here).
     */
    private void attention(Call.Seq q, INDArray x, boolean tx, INDArray y, boolean ty, INDArray z, double alpha) {
        if (RANK4) {
            q.add(Call.matmul(view4(x), view4(y), view4(z), tx, ty, alpha, 0));
            return;
        }
        for (int r = 0; r < n; r++)
            for (int hd = 0; hd < H; hd++)
                q.add(Call.matmul(view2(x, r, hd), view2(y, r, hd), view2(z, r, hd), tx, ty, alpha, 0));
    }

    static final boolean RANK4 = "rank4".equals(System.getProperty("pike.attention"));

    /** A head array's [n, H, T, D] view, or a score array as it is. */
    private INDArray view4(INDArray a) {
        return a.rank() == 4 ? a : heads(a);
    }

    /** (row r, head h) of a head array ([T, D], row stride C) or of a score array ([T, T]). */
    private INDArray view2(INDArray a, int r, int h) {
        if (a.rank() == 4) {
            long first = ((long) r * H + h) * T;
            return a.reshape('c', true, (long) n * H * T, T)
                    .get(NDArrayIndex.interval(first, first + T), NDArrayIndex.all());
        }
        return a.reshape('c', true, (long) n * T, (long) H * D)
                .get(
                        NDArrayIndex.interval((long) r * T, (long) (r + 1) * T),
                        NDArrayIndex.interval((long) h * D, (long) (h + 1) * D));
    }

    private static INDArray nc(INDArray a, long N, long C) {
        return a.reshape('c', true, N, C);
    }

    void forward(Call.Seq f) {
        long N = (long) n * T, C = (long) H * D;
        INDArray res = s.res;
        ln1.forward(f); // a1 = LN₁(x)   [N, C]
        f.add(Call.matmul(a1, w.get(p + "attn/wq"), nc(s.qRaw, N, C), false, false, 1, 0)); // q   [N, C]
        f.add(Call.matmul(a1, w.get(p + "attn/wk"), nc(s.kRaw, N, C), false, false, 1, 0)); // k   [N, C]
        f.add(Call.matmul(a1, w.get(p + "attn/wv"), v, false, false, 1, 0)); // v   [N, C]
        qln.forward(f); // qN  [N·H, D]
        kln.forward(f); // kN  [N·H, D]
        rope.forward(f, s.qN, qRot); // q   [N·H, D]
        rope.forward(f, s.kN, kRot); // k   [N·H, D]
        attention(f, qRot, false, kRot, true, att, 1 / Math.sqrt(D)); // q·kᵀ/√D [n, H, T, T]
        f.add(Call.pairwise("add", att, s.mask, att)); // + causal mask
        f.add(Call.custom(
                "softmax", new INDArray[] {att}, new INDArray[] {att}, new long[] {3}, null)); // A [n, H, T, T]
        attention(f, att, false, v, false, y, 1); // y = A·v [n, H, T, D] → [N, C]
        f.add(Call.matmul(y, w.get(p + "attn/wo"), res, false, false, 1, 1)); // x += y·W_o  [N, C]
        ln2.forward(f); // a2 = LN₂(x) [N, C]
        f.add(Call.matmul(a2, w.get(p + "mlp/w_fc"), h, false, false, 1, 0)); // h   [N, 4C]
        f.add(Call.legacy(new GELU(h, gl))); // GELU(h) [N, 4C]
        f.add(Call.matmul(gl, w.get(p + "mlp/w_proj"), res, false, false, 1, 1)); // x += GELU(h)·W_proj
    }

    /** On entry s.dRes = ∂L/∂x after the block; on exit ∂L/∂x before it. Weight gradients written per group. */
    void backward(Call.Seq b) {
        long N = (long) n * T, C = (long) H * D;
        INDArray dRes = s.dRes;
        // MLP:  dW_proj = GELU(h)ᵀ·dx,  dh = (dx·W_projᵀ) ⊙ GELU'(h),  dW_fc = a2ᵀ·dh,  da2 = dh·W_fcᵀ
        groups.weightGradient(b, gl, dRes, p + "mlp/w_proj", T); // [4C, C]
        b.add(Call.matmul(dRes, w.get(p + "mlp/w_proj"), s.dH, false, true, 1, 0)); // [N, 4C]
        b.add(Call.legacy(new GELUDerivative(h, s.geluGrad))); // GELU'(h) [N, 4C]
        b.add(Call.pairwise("multiply", s.dH, s.geluGrad, s.dH)); // dh  [N, 4C]
        groups.weightGradient(b, a2, s.dH, p + "mlp/w_fc", T); // [C, 4C]
        b.add(Call.matmul(s.dH, w.get(p + "mlp/w_fc"), s.dA, false, true, 1, 0)); // da2 [N, C]
        ln2.backward(b, s.dA, dRes, groups, p + "ln2", T, true, s.ones, s.lnDxhat, s.lnTemp, s.m1N, s.m2N);
        // attention output:  dW_o = yᵀ·dx,  dy = dx·W_oᵀ
        groups.weightGradient(b, y, dRes, p + "attn/wo", T); // [C, C]
        b.add(Call.matmul(dRes, w.get(p + "attn/wo"), s.dY, false, true, 1, 0)); // dy [N, C]
        // y = A·v:  dA = dy·vᵀ,  dv = Aᵀ·dy;  softmax:  dS = A ⊙ (dA − Σ_j dA ⊙ A)
        attention(b, s.dY, false, v, true, s.dAtt, 1); // [n, H, T, T]
        attention(b, att, true, s.dY, false, s.dV, 1); // dv [N, C]
        b.add(Call.pairwise("multiply", s.dAtt, att, s.attTemp));
        b.add(Call.matmul(
                s.attTemp.reshape('c', true, (long) n * H * T, T),
                s.onesT,
                s.rowSum,
                false,
                false,
                1,
                0)); // [n·H·T, 1]
        b.add(Call.pairwise("subtract", s.dAtt, s.rowSum.reshape('c', true, n, H, T, 1), s.dAtt));
        b.add(Call.pairwise("multiply", s.dAtt, att, s.dAtt)); // dS [n, H, T, T]
        // S = q·kᵀ/√D:  dq = dS·k/√D,  dk = dSᵀ·q/√D
        attention(b, s.dAtt, false, kRot, false, s.dQ, 1 / Math.sqrt(D));
        attention(b, s.dAtt, true, qRot, false, s.dK, 1 / Math.sqrt(D));
        rope.backward(b, s.dQ, s.dQn); // [N·H, D]
        rope.backward(b, s.dK, s.dKn);
        qln.backward(
                b,
                s.dQn,
                s.dQ,
                groups,
                p + "attn/q_norm",
                (long) T * H,
                false,
                s.ones,
                s.lnDxhatNH,
                s.lnTempNH,
                s.m1NH,
                s.m2NH);
        kln.backward(
                b,
                s.dKn,
                s.dK,
                groups,
                p + "attn/k_norm",
                (long) T * H,
                false,
                s.ones,
                s.lnDxhatNH,
                s.lnTempNH,
                s.m1NH,
                s.m2NH);
        // q, k, v = a1·W:  dW = a1ᵀ·d(q, k, v),  da1 = Σ d(q, k, v)·Wᵀ
        INDArray dQ = nc(s.dQ, N, C), dK = nc(s.dK, N, C);
        groups.weightGradient(b, a1, dQ, p + "attn/wq", T);
        groups.weightGradient(b, a1, dK, p + "attn/wk", T);
        groups.weightGradient(b, a1, s.dV, p + "attn/wv", T);
        b.add(Call.matmul(dQ, w.get(p + "attn/wq"), s.dA, false, true, 1, 0));
        b.add(Call.matmul(dK, w.get(p + "attn/wk"), s.dA, false, true, 1, 1));
        b.add(Call.matmul(s.dV, w.get(p + "attn/wv"), s.dA, false, true, 1, 1)); // da1 [N, C]
        ln1.backward(b, s.dA, dRes, groups, p + "ln1", T, true, s.ones, s.lnDxhat, s.lnTemp, s.m1N, s.m2N);
    }
}
