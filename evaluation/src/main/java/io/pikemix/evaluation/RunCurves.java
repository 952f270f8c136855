package io.pikemix.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.UserException;
import io.pikemix.training.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The curves a run directory's files hold (training/README.md, "Run directory"), as plain arrays for the figures:
 * the weights in force at each step and the rows drawn per domain (metrics.jsonl), the validation losses
 * (val.jsonl), the pairwise gradient cosines (stats.jsonl) and the training rows per domain (the dataset's
 * dataset.json). notebooks/pikeruns.py reads the same files the same way; missing values (null) are NaN.
 */
public record RunCurves(
        String name,
        String strategy,
        List<String> domains,
        double[] steps,
        double[][] weights,
        double[][] epochs,
        double[] valSteps,
        double[][] valLoss,
        double[] valMean,
        double[] statSteps,
        double[][][] cosine) {

    /** Reads a run; epochs are null when the dataset (config.json's train.dataset) cannot be read. */
    public static RunCurves read(Path run) {
        JsonNode config;
        try {
            Path file = run.resolve(RunFiles.CONFIG);
            if (!Files.exists(file)) throw new UserException(run + " is not a run directory: no " + RunFiles.CONFIG);
            config = RunFiles.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserException(run.resolve(RunFiles.CONFIG) + " is unreadable: " + e.getMessage(), e);
        }
        var domains = new ArrayList<String>();
        config.get("domains").forEach(d -> domains.add(d.asText()));
        int K = domains.size();
        List<JsonNode> metrics = RunFiles.read(run.resolve(RunFiles.METRICS));
        var steps = new double[metrics.size()];
        var weights = new double[K][metrics.size()];
        var drawn = new double[K][metrics.size()]; // cumulative rows drawn per domain
        for (int t = 0; t < metrics.size(); t++) {
            JsonNode m = metrics.get(t);
            steps[t] = m.get("step").asDouble();
            for (int k = 0; k < K; k++) {
                weights[k][t] = number(m.get("weights").get(k));
                drawn[k][t] =
                        (t == 0 ? 0 : drawn[k][t - 1]) + m.get("counts").get(k).asDouble();
            }
        }
        double[][] epochs = null;
        long[] trainRows = trainRows(config.get("train").get("dataset").asText(), domains);
        if (trainRows != null) {
            epochs = new double[K][metrics.size()];
            for (int k = 0; k < K; k++)
                for (int t = 0; t < steps.length; t++) epochs[k][t] = drawn[k][t] / trainRows[k];
        }
        List<JsonNode> val = RunFiles.read(run.resolve(RunFiles.VAL));
        var valSteps = new double[val.size()];
        var valLoss = new double[K][val.size()];
        var valMean = new double[val.size()];
        for (int i = 0; i < val.size(); i++) {
            valSteps[i] = val.get(i).get("step").asDouble();
            valMean[i] = number(val.get(i).get("mean"));
            for (int k = 0; k < K; k++)
                valLoss[k][i] = number(val.get(i).get("val_loss").get(k));
        }
        List<JsonNode> stats = RunFiles.read(run.resolve(RunFiles.STATS));
        var statSteps = new double[stats.size()];
        var cosine = new double[stats.size()][K][K];
        for (int i = 0; i < stats.size(); i++) {
            statSteps[i] = stats.get(i).get("step").asDouble();
            for (int k = 0; k < K; k++)
                for (int l = 0; l < K; l++)
                    cosine[i][k][l] = number(stats.get(i).get("cosine").get(k).get(l));
        }
        String name = run.toAbsolutePath().normalize().getFileName().toString();
        return new RunCurves(
                name,
                config.get("train").get("strategy").asText(),
                List.copyOf(domains),
                steps,
                weights,
                epochs,
                valSteps,
                valLoss,
                valMean,
                statSteps,
                cosine);
    }

    /** Training rows (packed sequences) per domain from dataset.json, in the run's domain order; null if unreadable. */
    static long[] trainRows(String dataset, List<String> domains) {
        try {
            DatasetInfo info = DatasetInfo.read(dataset);
            var rows = new long[domains.size()];
            for (int k = 0; k < rows.length; k++)
                rows[k] = info.domain(domains.get(k)).split("train").sequences();
            return rows;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** cosine[k][l] over the statistics steps. */
    public double[] cosine(int k, int l) {
        var out = new double[statSteps.length];
        for (int i = 0; i < out.length; i++) out[i] = cosine[i][k][l];
        return out;
    }

    /** "strategy (run name)", or the strategy alone when the run is named after it. */
    public String label() {
        return name.equals(strategy) ? strategy : strategy + " (" + name + ")";
    }

    private static double number(JsonNode n) {
        return n == null || n.isNull() ? Double.NaN : n.asDouble();
    }
}
