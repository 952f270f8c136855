package io.pikemix.training.spark;

import io.pikemix.mixer.GradientStats;
import io.pikemix.training.AdamW;
import io.pikemix.training.GradientModel;
import io.pikemix.training.RunRecords;
import io.pikemix.training.StepEngine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@link StepEngine} of {@link SparkTrainer}: a round of A steps (rounds end at multiples of A) is one broadcast of
 * the driver's state, one task per worker and one {@code treeAggregate}; A = 1 ends in the driver's AdamW step on the
 * summed gradient, A &gt; 1 in the row-weighted average of the workers' parameters and moments.
 */
final class SparkEngine implements StepEngine {
    private final JavaSparkContext sc;
    private final SparkTrainer.Options options;
    private final Worker worker;
    private final List<String> domains;

    SparkEngine(JavaSparkContext sc, SparkTrainer.Options options, Worker worker, List<String> domains) {
        this.sc = sc;
        this.options = options;
        this.worker = worker;
        this.domains = domains;
    }

    @Override
    public int roundLength(long step, long total) {
        int A = options.averageEvery();
        return (int) Math.min(A - step % A, total - step);
    }

    @Override
    public int workers() {
        return options.workers();
    }

    @Override
    public String recordsFile() {
        return SparkTrainer.WORKERS;
    }

    @Override
    public Map<String, Object> provenance() {
        var dist = new LinkedHashMap<String, Object>();
        dist.put("workers", options.workers());
        dist.put("average_every", options.averageEvery());
        dist.put("master", sc.master());
        dist.put("app_id", sc.sc().applicationId());
        var rec = new LinkedHashMap<String, Object>();
        rec.put("distributed", dist);
        rec.put("spark", sc.version());
        return rec;
    }

    @Override
    public Result run(GradientModel model, AdamW adam, List<Planned> planned) {
        int n = options.workers(), A = options.averageEvery(), length = planned.size(), K = domains.size();
        long roundIndex = planned.get(0).step() / A;
        var round = new Round(
                roundIndex,
                Tensors.of(model.parameters()),
                A > 1 ? Tensors.of(adam.state()) : null,
                adam.iteration(),
                planned);
        Broadcast<Round> shared = sc.broadcast(round);
        Worker w = worker;
        RoundSum sum;
        try {
            sum = sc.parallelize(Worker.indices(n), n)
                    .map(i -> w.run(shared.value(), i))
                    .treeAggregate(new RoundSum(), RoundSum::add, RoundSum::merge, 2);
        } finally {
            shared.destroy();
        }
        List<WorkerReport> reports = sum.sortedReports();
        state(reports.size() == n, "round %d: %d of %d workers reported", roundIndex, reports.size(), n);
        double gradNorm = Double.NaN;
        if (A == 1) {
            Map<String, INDArray> g = sum.sum.toArrays();
            gradNorm = adam.step(model.parameters(), g, planned.get(0).lr());
            for (INDArray a : g.values()) a.close();
        } else {
            sum.sum.assignTo(model.parameters());
            sum.adamSum.assignTo(adam.state());
            adam = AdamW.forModel(adam.hyper(), model.config(), adam.state(), adam.iteration() + length);
        }
        var outcomes = new ArrayList<Outcome>();
        for (int i = 0; i < length; i++) {
            Planned s = planned.get(i);
            double loss = 0;
            var domainSum = new double[K];
            var domainRows = new int[K];
            var perWorkerStats = new ArrayList<GradientStats>();
            for (WorkerReport r : reports) {
                if (r.rows()[i] == 0) continue;
                loss += r.loss()[i] * r.rows()[i] / s.rows();
                int[] counts = r.counts()[i];
                for (int k = 0; k < K; k++)
                    if (counts[k] > 0) {
                        domainSum[k] += r.domainLoss()[i][k] * counts[k];
                        domainRows[k] += counts[k];
                    }
                if (r.stats().get(i) != null) perWorkerStats.add(r.stats().get(i));
            }
            var domainLoss = new double[K];
            for (int k = 0; k < K; k++) domainLoss[k] = domainRows[k] == 0 ? Double.NaN : domainSum[k] / domainRows[k];
            state(!s.stats() || !perWorkerStats.isEmpty(), "step %d: no worker reported statistics", s.step());
            var fields = new LinkedHashMap<String, Object>();
            fields.put("workers", n);
            fields.put("average_every", A);
            outcomes.add(new Outcome(
                    loss, domainLoss, A == 1 ? gradNorm : meanGradNorm(reports, i), perWorkerStats, fields));
        }
        long statsNanos = 0;
        var records = new ArrayList<Map<String, Object>>();
        for (WorkerReport r : reports) {
            statsNanos += r.statsNanos();
            records.add(workerRecord(r));
        }
        return new Result(outcomes, adam, statsNanos / n, records, String.format(" | %d workers", reports.size()));
    }

    private static void state(boolean ok, String message, Object... args) {
        if (!ok) throw new IllegalStateException(String.format(message, args));
    }

    private static double meanGradNorm(List<WorkerReport> reports, int i) {
        double s = 0;
        int c = 0;
        for (WorkerReport r : reports)
            if (!Double.isNaN(r.gradNorm()[i])) {
                s += r.gradNorm()[i];
                c++;
            }
        return c == 0 ? Double.NaN : s / c;
    }

    private Map<String, Object> workerRecord(WorkerReport r) {
        var rec = new LinkedHashMap<String, Object>();
        rec.put("step", r.steps()[0]); // the round's first step
        rec.put("round", r.round());
        rec.put("worker", r.worker());
        rec.put("attempt", r.attempt());
        rec.put("executor", r.executor());
        rec.put("host", r.host());
        rec.put("pid", r.pid());
        rec.put("steps", r.steps());
        rec.put("rows", r.rows());
        rec.put("loss", RunRecords.nullIfNaN(r.loss()));
        rec.put("grad_norm", RunRecords.nullIfNaN(r.gradNorm()));
        var stats = new ArrayList<Map<String, Object>>();
        for (int i = 0; i < r.steps().length; i++)
            if (r.stats().get(i) != null)
                stats.add(RunRecords.stats(r.steps()[i], domains, r.stats().get(i)));
        rec.put("stats", stats);
        rec.put("ms", r.nanos() / 1e6);
        rec.put("stats_ms", r.statsNanos() / 1e6);
        rec.put("rss_mb", r.rssBytes() >> 20);
        return rec;
    }
}
