package io.pikemix.training.bench;

import io.pikemix.training.AdamW;
import io.pikemix.training.Batch;
import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.Memory;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.SplittableRandom;

/**
 * The DL4J side of {@code bench/train}: steady-state training throughput of the GPT on random tokens (same
 * AdamW step as the trainer, one graph call per step). Usage:
 * {@code TrainBench VOCAB CONTEXT LAYERS HEADS WIDTH BATCH WARMUP STEPS [LN_EPSILON]}; prints
 * {@code RESULT tokens_per_s=… peak_rss_mb=… ms_per_step=…}.
 */
public final class TrainBench {
    private TrainBench() {}

    public static void main(String[] a) {
        int V = Integer.parseInt(a[0]), T = Integer.parseInt(a[1]), L = Integer.parseInt(a[2]), H = Integer.parseInt(a[3]),
                C = Integer.parseInt(a[4]), B = Integer.parseInt(a[5]), warm = Integer.parseInt(a[6]), steps = Integer.parseInt(a[7]);
        double eps = a.length > 8 ? Double.parseDouble(a[8]) : GptConfig.FLAX_LN_EPSILON;
        var config = new GptConfig(V, T, L, H, C, eps);
        try (var model = GptModel.initialize(config, 1)) {
            var shapes = new LinkedHashMap<String, long[]>();
            var decayed = new HashSet<String>();
            for (var p : GptModel.specs(config)) { shapes.put(p.name(), p.shape()); if (!p.isGain()) decayed.add(p.name()); }
            var adam = new AdamW(AdamW.Hyper.table6(), shapes, decayed, null, 0);
            var rnd = new SplittableRandom(7);
            long t0 = 0, gradNanos = 0, adamNanos = 0;
            for (int s = 0; s < warm + steps; s++) {
                if (s == warm) {
                    t0 = System.nanoTime();
                    if (Boolean.getBoolean("pike.profile")) {
                        org.nd4j.linalg.profiler.OpProfiler.getInstance().reset();
                        org.nd4j.linalg.factory.Nd4j.getExecutioner().setProfilingMode(org.nd4j.linalg.api.ops.executioner.OpExecutioner.ProfilingMode.OPERATIONS);
                    }
                }
                var rows = new int[B][T + 1];
                for (int[] r : rows) for (int i = 0; i <= T; i++) r[i] = rnd.nextInt(V);
                long a0 = System.nanoTime();
                try (var g = model.gradient(Batch.of(rows, T))) {
                    long a1 = System.nanoTime();
                    adam.step(model.parameters(), g.gradients(), 1e-3);
                    long a2 = System.nanoTime();
                    if (s >= warm) { gradNanos += a1 - a0; adamNanos += a2 - a1; }
                    if (s % 10 == 0) System.err.printf("step %d loss %.4f rss %d MB%n", s, g.loss(), Memory.rssBytes() >> 20);
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (Boolean.getBoolean("pike.profile")) org.nd4j.linalg.profiler.OpProfiler.getInstance().printOutDashboard();
            System.out.printf("gradient %.1f ms/step, adamw %.1f ms/step%n", gradNanos / 1e6 / steps, adamNanos / 1e6 / steps);
            System.out.printf("RESULT tokens_per_s=%.0f peak_rss_mb=%d ms_per_step=%.1f%n",
                    (double) steps * B * T / secs, Memory.peakRssBytes() >> 20, secs * 1000 / steps);
        }
    }
}
