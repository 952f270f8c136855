package io.pikemix.training.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One call site of the engine: an ND4J op whose inputs, outputs and arguments are fixed when the engine is
 * built, replayed every step. Custom ops run on a prebuilt {@link OpContext} with the native shape function
 * switched off ({@code shapeFunctionOverride}): no shape computation, no allocation, ≈ 1 µs of dispatch.
 * Legacy (transform and scalar) ops hold their x and z arrays and are executed as they are.
 *
 * <p>Argument conventions (libnd4j 1.0.0-M2.1, checked against the reference by EngineTest): {@code matmul}
 * iArgs (transX, transY, transZ), tArgs (alpha, beta) with beta accumulating into the output; the pairwise
 * {@code add/subtract/multiply} broadcast numpy-style and may write in place; {@code softmax} iArg = axis;
 * {@code gather} iArg = axis; {@code scatter_add} (ref, indices, updates) writes into ref when it is the output, and
 * with bArg {@code lock} = false (the default) runs its indices on all threads with no synchronisation: repeated
 * indices race and lose updates (libnd4j {@code helpers::scatter}: {@code lock ? 1 : maxThreads} threads), so every
 * scatter whose indices can repeat passes {@code lock = true} (one thread, in index order).
 */
final class Call {
    /** Per-kind nanoseconds when profiling (bench/train --profile); off by default. */
    static boolean profile = false;

    private static final Map<String, long[]> TIMES = new TreeMap<>();

    private final String kind;
    private final CustomOp custom;
    private final OpContext context;
    private final Op legacy;

    private Call(String kind, CustomOp custom, OpContext context, Op legacy) {
        this.kind = kind;
        this.custom = custom;
        this.context = context;
        this.legacy = legacy;
    }

    static Call custom(String name, INDArray[] in, INDArray[] out, long[] iArgs, double[] tArgs) {
        return custom(name, in, out, iArgs, tArgs, null);
    }

    static Call custom(String name, INDArray[] in, INDArray[] out, long[] iArgs, double[] tArgs, boolean[] bArgs) {
        DynamicCustomOp op = DynamicCustomOp.builder(name).build();
        OpContext ctx = Nd4j.getExecutioner().buildContext();
        ctx.setInputArrays(in);
        ctx.setOutputArrays(out);
        if (iArgs != null) ctx.setIArguments(iArgs);
        if (tArgs != null) ctx.setTArguments(tArgs);
        if (bArgs != null) ctx.setBArguments(bArgs);
        ctx.shapeFunctionOverride(true);
        return new Call(profileKey(name, in, iArgs), op, ctx, null);
    }

    /** Profile key: the op name, for matmul also the operand shapes ("ᵀ" = transposed) and whether they are views. */
    private static String profileKey(String name, INDArray[] in, long[] iArgs) {
        if (!name.equals("matmul")) return name;
        return name + " " + java.util.Arrays.toString(in[0].shape()) + (iArgs[0] == 1 ? "ᵀ" : "")
                + (in[0].ordering() == 'c' && in[0].elementWiseStride() == 1 ? "" : "(view)") + "·"
                + java.util.Arrays.toString(in[1].shape()) + (iArgs[1] == 1 ? "ᵀ" : "")
                + (in[1].ordering() == 'c' && in[1].elementWiseStride() == 1 ? "" : "(view)");
    }

    static Call legacy(Op op) {
        return new Call(op.opName(), null, null, op);
    }

    /** z = alpha · op(x) · op(y) + beta · z. */
    static Call matmul(INDArray x, INDArray y, INDArray z, boolean transX, boolean transY, double alpha, double beta) {
        return custom(
                "matmul",
                new INDArray[] {x, y},
                new INDArray[] {z},
                new long[] {transX ? 1 : 0, transY ? 1 : 0, 0},
                new double[] {alpha, beta});
    }

    static Call pairwise(String name, INDArray x, INDArray y, INDArray z) {
        return custom(name, new INDArray[] {x, y}, new INDArray[] {z}, null, null);
    }

    /** Replaces input i (per-step index arrays). */
    void input(int i, INDArray a) {
        context.setInputArray(i, a);
    }

    void run() {
        long t0 = profile ? System.nanoTime() : 0;
        if (custom != null) Nd4j.exec(custom, context);
        else Nd4j.exec(legacy);
        if (profile) {
            long[] t = TIMES.computeIfAbsent(kind, k -> new long[2]);
            t[0] += System.nanoTime() - t0;
            t[1]++;
        }
    }

    static void runAll(List<Call> calls) {
        for (Call c : calls) c.run();
    }

    void close() {
        if (context != null) {
            try {
                context.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Accumulated profile: kind → {nanoseconds, calls}; cleared by {@link #resetProfile}. */
    static Map<String, long[]> profileTimes() {
        var out = new TreeMap<String, long[]>();
        TIMES.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    static void resetProfile() {
        TIMES.clear();
    }

    /** A growing list of calls built in order; {@link #run} replays them. */
    static final class Seq {
        final List<Call> calls = new ArrayList<>();

        Call add(Call c) {
            calls.add(c);
            return c;
        }

        void run() {
            runAll(calls);
        }

        void close() {
            for (Call c : calls) c.close();
        }
    }
}
