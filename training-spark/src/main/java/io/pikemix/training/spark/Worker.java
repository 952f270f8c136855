package io.pikemix.training.spark;

import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.StepManifest;
import io.pikemix.training.AdamW;
import io.pikemix.training.Corpus;
import io.pikemix.training.GptConfig;
import io.pikemix.training.GptModel;
import io.pikemix.training.Memory;
import io.pikemix.training.MixedBatch;
import io.pikemix.training.StepEngine;
import io.pikemix.training.TrainConfig;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one Spark task does for worker w of n in one round: assign the broadcast parameters to this executor's
 * model, then for each step of the round compute the gradient of its share of the global manifest
 * ({@link StepManifest#share}: rows j ≡ w mod n) per domain, exactly as the single-process trainer does.
 *
 * <ul>
 *   <li>A = 1 (gradient averaging): returns (b_w / b) · g_w; the driver's sum is Σ_w (b_w/b) g_w = the gradient
 *       of the whole manifest (eq. 2), and the driver clips and takes the AdamW step — exact.
 *   <li>A &gt; 1 (parameter averaging): takes A local AdamW steps (clipping by its local gradient norm) from the
 *       broadcast parameters and moments, and returns ρ_w·θ_w and ρ_w·(m_w, v_w), ρ_w = its rows / the round's rows.
 * </ul>
 *
 * A task is a pure function of the broadcast and the dataset: Spark may re-run it (lost executor, retry) and
 * gets the same contribution.
 *
 * @param statsSeed the seed of the statistics top-up rows; worker w uses seed ^ (w · φ) so workers draw
 *                  different rows (worker 0 draws the single-process trainer's rows)
 */
record Worker(
        CorpusSource source, GptConfig gpt, AdamW.Hyper adam, TrainConfig.Statistics statistics, int workers, long seed)
        implements Serializable {

    long statsSeed(int worker) {
        return seed ^ (worker * 0x9E3779B97F4A7C15L);
    }

    RoundSum.Contribution run(Round round, int w) {
        long t0 = System.nanoTime();
        TaskContext task = TaskContext.get();
        Corpus corpus = WorkerRuntime.corpus(source, gpt, w);
        io.pikemix.training.GradientModel model = WorkerRuntime.model(source, gpt, w);
        round.params().assignTo(model.parameters());
        boolean averageParams = round.adam() != null;
        AdamW local = null;
        Map<String, INDArray> moments = null;
        if (averageParams) {
            moments = round.adam().toArrays();
            local = AdamW.forModel(adam, gpt, moments, round.adamIteration());
        }
        int S = round.steps().size(), K = corpus.names().size();
        if (!averageParams && S != 1)
            throw new IllegalStateException("gradient averaging takes one step per round, got " + S);
        var steps = new long[S];
        var rows = new int[S];
        var counts = new int[S][];
        var loss = new double[S];
        var domainLoss = new double[S][];
        var gradNorm = new double[S];
        var stats = new ArrayList<GradientStats>();
        long statsNanos = 0, roundRows = 0, myRows = 0;
        Tensors gradient = null;
        for (int i = 0; i < S; i++) {
            StepEngine.Planned step = round.steps().get(i);
            StepManifest share = step.manifest().share(w, workers);
            steps[i] = step.step();
            rows[i] = share.size();
            counts[i] = share.counts();
            roundRows += step.rows();
            myRows += share.size();
            gradNorm[i] = Double.NaN;
            if (share.size() == 0) { // fewer rows than workers this step
                loss[i] = Double.NaN;
                domainLoss[i] = nan(K);
                stats.add(null);
                continue;
            }
            MixedBatch.Result o = MixedBatch.compute(
                    model,
                    corpus.train(),
                    share,
                    step.stats(),
                    statistics.microBatches(),
                    statistics.fused(),
                    statsSeed(w));
            loss[i] = o.loss();
            domainLoss[i] = o.domainLoss();
            stats.add(o.stats());
            statsNanos += o.statsNanos();
            try {
                if (averageParams) {
                    gradNorm[i] = local.step(model.parameters(), o.gradient(), step.lr());
                } else {
                    gradient = Tensors.of(o.gradient()).scale((double) share.size() / step.rows());
                }
            } finally {
                for (INDArray g : o.gradient().values())
                    GptModel.close(g); // the engine's gradient views are not closeable
            }
        }
        Tensors sum = gradient, adamSum = null;
        if (averageParams) {
            double rho = roundRows == 0 ? 0 : (double) myRows / roundRows;
            sum = Tensors.of(model.parameters()).scale(rho);
            adamSum = Tensors.of(local.state()).scale(rho);
            for (INDArray m : moments.values()) m.close();
        }
        var report = new WorkerReport(
                round.index(),
                w,
                task == null ? 0 : task.attemptNumber(),
                SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId(),
                SparkEnv.get() == null
                        ? "localhost"
                        : SparkEnv.get().blockManager().blockManagerId().host(),
                ProcessHandle.current().pid(),
                steps,
                rows,
                counts,
                loss,
                domainLoss,
                stats,
                gradNorm,
                System.nanoTime() - t0,
                statsNanos,
                Memory.rssBytes());
        return new RoundSum.Contribution(sum, adamSum, report);
    }

    private static double[] nan(int k) {
        var a = new double[k];
        Arrays.fill(a, Double.NaN);
        return a;
    }

    static List<Integer> indices(int n) {
        var l = new ArrayList<Integer>();
        for (int i = 0; i < n; i++) l.add(i);
        return l;
    }
}
