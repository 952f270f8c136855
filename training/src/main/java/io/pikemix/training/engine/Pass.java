package io.pikemix.training.engine;

import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.RotaryTables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The forward and backward call sequences of the whole model for one row count n (N = n·T tokens), built once
 * over leading views of the {@link Arena} and replayed:
 *
 *   x = wte[ids];  x = block_l(x) for l < L;  P = softmax(LN_f(x)·wteᵀ)            [N, V]
 *   loss_i = −log P[i, y_i];  L = mean_i loss_i
 *
 * Cross-entropy backward: P ← P − onehot(y) by one {@code scatter_add} of −1 at the flat indices i·V + y_i,
 * then da_f = (1/N)·P·wte and dwte = (1/N)·Pᵀ·a_f (GEMM alpha); the embedding's gradient is scatter-added into
 * dwte last. With several {@link Groups}, da_f is one GEMM whose row blocks are then scaled by 1/(their group's tokens), and dwte one GEMM per row block with that alpha
 * (which scales every later row gradient of the group, no [N, V] pass), and every weight gradient is taken per group.
 */
final class Pass implements AutoCloseable {
    /** Arrays shared by all layers of a pass: the residual stream, its gradient, constants and scratch. */
    static final class Shared {
        final INDArray ones,
                res,
                dRes,
                qRaw,
                kRaw,
                qN,
                kN,
                ropeTemp,
                cos,
                sin,
                mask,
                colC,
                colD,
                onesT,
                meanN,
                meanNH,
                dA,
                dY,
                dQ,
                dK,
                dV,
                dQn,
                dKn,
                dH,
                geluGrad,
                dAtt,
                attTemp,
                rowSum,
                lnDxhat,
                lnTemp,
                lnDxhatNH,
                lnTempNH,
                m1N,
                m2N,
                m1NH,
                m2NH;

        Shared(int n, GptConfig c, Arena a, Constants k) {
            int T = c.context(), H = c.nHead(), D = c.headSize(), C = c.dModel(), N = n * T, NH = N * H;
            ones = k.ones;
            res = a.take("res", n, N, C);
            dRes = a.take("dRes", n, N, C);
            qRaw = a.take("qRaw", n, NH, D);
            kRaw = a.take("kRaw", n, NH, D);
            qN = a.take("qN", n, NH, D);
            kN = a.take("kN", n, NH, D);
            ropeTemp = a.take("ropeTemp", n, NH, D / 2);
            cos = k.cos.get(NDArrayIndex.interval(0, NH), NDArrayIndex.all());
            sin = k.sin.get(NDArrayIndex.interval(0, NH), NDArrayIndex.all());
            mask = k.mask;
            colC = k.colC;
            colD = k.colD;
            onesT = k.onesT;
            meanN = a.take("meanN", n, N, 1);
            meanNH = a.take("meanNH", n, NH, 1);
            dA = a.take("dA", n, N, C);
            dY = a.take("dY", n, N, C);
            dQ = a.take("dQ", n, NH, D);
            dK = a.take("dK", n, NH, D);
            dV = a.take("dV", n, N, C);
            dQn = a.take("dQn", n, NH, D);
            dKn = a.take("dKn", n, NH, D);
            dH = a.take("dH", n, N, 4L * C);
            geluGrad = a.take("geluGrad", n, N, 4L * C);
            dAtt = a.take("dAtt", n, n, H, T, T);
            attTemp = a.take("attTemp", n, n, H, T, T);
            rowSum = a.take("rowSum", n, (long) n * H * T, 1);
            lnDxhat = a.take("lnDxhat", n, N, C);
            lnTemp = a.take("lnTemp", n, N, C);
            lnDxhatNH = lnDxhat.reshape('c', true, NH, D);
            lnTempNH = lnTemp.reshape('c', true, NH, D);
            m1N = a.take("m1N", n, N, 1);
            m2N = a.take("m2N", n, N, 1);
            m1NH = a.take("m1NH", n, NH, 1);
            m2NH = a.take("m2NH", n, NH, 1);
        }
    }

    /** Arrays that depend only on the configuration and the arena's capacity. */
    static final class Constants {
        final INDArray cos, sin, mask, colC, colD, onesT, ones, minusOnes;

        Constants(GptConfig c, int maxRows) {
            int T = c.context(), H = c.nHead(), D = c.headSize(), C = c.dModel();
            long NH = (long) maxRows * T * H;
            // [T·H, D/2] tables of the first D/2 angles, tiled over maxRows rows
            var cosT = RotaryTables.cos(T, H, D)
                    .reshape((long) T * H, D)
                    .get(NDArrayIndex.all(), NDArrayIndex.interval(0, D / 2))
                    .dup('c');
            var sinT = RotaryTables.sin(T, H, D)
                    .reshape((long) T * H, D)
                    .get(NDArrayIndex.all(), NDArrayIndex.interval(0, D / 2))
                    .dup('c');
            cos = Nd4j.tile(cosT, maxRows, 1);
            sin = Nd4j.tile(sinT, maxRows, 1);
            mask = RotaryTables.causalMask(T, GptModel.MASKED);
            colC = Nd4j.valueArrayOf(new long[] {C, 1}, 1.0 / C, DataType.FLOAT);
            colD = Nd4j.valueArrayOf(new long[] {D, 1}, 1.0 / D, DataType.FLOAT);
            onesT = Nd4j.ones(DataType.FLOAT, T, 1);
            ones = Nd4j.ones(DataType.FLOAT, NH);
            minusOnes = Nd4j.valueArrayOf(new long[] {(long) maxRows * T}, -1.0, DataType.FLOAT);
        }
    }

    final int rows;
    final Shared s;
    final INDArray ids, targets, probs, tokenLoss;
    private final Call.Seq body = new Call.Seq(), head = new Call.Seq(), backward = new Call.Seq();
    private final List<BlockStep> blocks = new ArrayList<>();
    private final Groups groups;

    Pass(int n, GptConfig c, Arena a, Constants k, Map<String, INDArray> w, Groups groups) {
        this.rows = n;
        this.groups = groups;
        int T = c.context(), V = c.vocabSize(), C = c.dModel(), N = n * T;
        s = new Shared(n, c, a, k);
        ids = a.take("ids", DataType.INT32, n, N);
        targets = a.take("targets", DataType.INT32, n, N); // flat indices i·V + y_i
        probs = a.take("probs", n, N, V);
        INDArray probsFlat = probs.reshape('c', true, (long) N * V);
        INDArray picked = a.take("picked", n, N);
        tokenLoss = a.take("tokenLoss", n, N);
        INDArray minusOnes = k.minusOnes.get(NDArrayIndex.interval(0, N));
        INDArray xhatF = a.take("xhatF", n, N, C), rstdF = a.take("rstdF", n, N, 1), aF = a.take("aF", n, N, C);
        var lnF = new LayerNormStep(s.res, w.get("ln_f"), aF, xhatF, rstdF, s.colC, s.meanN, c.lnEpsilon());
        INDArray wte = w.get("wte");
        for (int l = 0; l < c.nLayer(); l++) blocks.add(new BlockStep(l, n, c, a, w, groups, s));

        body.add(Call.custom(
                "gather",
                new INDArray[] {wte, ids},
                new INDArray[] {s.res},
                new long[] {0},
                null)); // x = wte[ids] [N, C]
        for (BlockStep b : blocks) b.forward(body);
        lnF.forward(body); // a_f [N, C]
        body.add(Call.matmul(aF, wte, probs, false, true, 1, 0)); // logits [N, V]
        head.add(Call.custom(
                "softmax", new INDArray[] {probs}, new INDArray[] {probs}, new long[] {1}, null)); // P [N, V]
        head.add(Call.custom(
                "gather", new INDArray[] {probsFlat, targets}, new INDArray[] {picked}, new long[] {0}, null));
        head.add(Call.legacy(new Log(picked, tokenLoss)));
        head.add(Call.legacy(new ScalarMultiplication(tokenLoss, null, tokenLoss, -1.0))); // loss_i [N]

        backward.add(Call.custom(
                "scatter_add",
                new INDArray[] {probsFlat, targets, minusOnes},
                new INDArray[] {probsFlat},
                null,
                null)); // P − onehot
        if (groups.size() == 1) { // the mean over N tokens: alpha = 1/N
            backward.add(Call.matmul(probs, wte, s.dA, false, false, 1.0 / N, 0)); // da_f [N, C]
            backward.add(
                    Call.matmul(probs, aF, groups.grads().get(0).get("wte"), true, false, 1.0 / N, 0)); // dwte [V, C]
        } else { // group j: the mean over its own tokens
            // da_f as one GEMM over all rows, then each group's row block scaled by its alpha: rows never mix here, and
            // one [N, V]·[V, C] GEMM is 5–7 ms faster than G row-block GEMMs (tiny, G = 6, 2026-11-28)
            backward.add(Call.matmul(probs, wte, s.dA, false, false, 1, 0));
            for (int j = 0; j < groups.size(); j++) {
                double alpha = 1.0 / ((long) (groups.bounds()[j + 1] - groups.bounds()[j]) * T);
                INDArray dAj = groups.rows(s.dA, j, T);
                backward.add(Call.legacy(new ScalarMultiplication(dAj, null, dAj, alpha)));
                backward.add(Call.matmul(
                        groups.rows(probs, j, T),
                        groups.rows(aF, j, T),
                        groups.grads().get(j).get("wte"),
                        true,
                        false,
                        alpha,
                        0));
            }
        }
        lnF.backward(backward, s.dA, s.dRes, groups, "ln_f", T, false, s.ones, s.lnDxhat, s.lnTemp, s.m1N, s.m2N);
        for (int l = blocks.size() - 1; l >= 0; l--) blocks.get(l).backward(backward);
        for (int j = 0; j < groups.size(); j++) { // dwte[ids] += dx per group
            INDArray dWte = groups.grads().get(j).get("wte");
            backward.add(Call.custom(
                    "scatter_add",
                    new INDArray[] {dWte, groups.range(ids, j, T), groups.rows(s.dRes, j, T)},
                    new INDArray[] {dWte},
                    null,
                    null,
                    new boolean[] {true})); // lock: a token id repeats within a batch, and unlocked threads race on it
        }
    }

    /** Writes a batch's ids and flat target indices into the pass's index arrays. */
    void load(int[] inputs, int[] nextTokens, int V) {
        var flat = new int[nextTokens.length];
        for (int i = 0; i < flat.length; i++) flat[i] = i * V + nextTokens[i];
        ids.assign(Nd4j.createFromArray(inputs));
        targets.assign(Nd4j.createFromArray(flat));
    }

    void logits() {
        body.run();
    }

    void forward() {
        body.run();
        head.run();
    }

    void backward() {
        backward.run();
    }

    @Override
    public void close() {
        body.close();
        head.close();
        backward.close();
        groups.close();
    }
}
