package io.pikemix.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.Checks;
import io.pikemix.training.RunFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Strategies × domains: each run's final per-domain validation loss ({@code eval.json}), their mean and worst, and
 * the paper's speed measure (Fig. 1, "achieves baseline 1.9× faster"): the steps each run needed to reach the
 * first run's final mean validation loss, read from the validation curve the trainer wrote ({@code val.jsonl},
 * the first evaluation step whose mean is ≤ the target; the target is the first run's last val.jsonl mean, so
 * both sides use the same fixed subset). Runs must cover the same domains in the same order.
 */
public final class Comparison {
    private Comparison() {}

    /** One row: a run's report and its steps to reach the target (-1: not reached). */
    public record Row(RunEvaluation.Report report, long stepsToReach) {}

    /** The rows and the target mean validation loss. */
    public record Result(List<Row> rows, double target, long baselineSteps) {
        /** Baseline steps / this run's steps to reach the target (NaN when not reached). */
        public double speedup(Row r) {
            return r.stepsToReach() <= 0 ? Double.NaN : (double) baselineSteps / r.stepsToReach();
        }
    }

    public static Result compare(List<Path> runs) {
        Checks.require(!runs.isEmpty(), "--compare needs at least one run directory");
        var reports = runs.stream().map(RunEvaluation::read).toList();
        for (var r : reports)
            Checks.require(
                    r.domains().equals(reports.get(0).domains()),
                    "runs cover different domains: %s has %s, %s has %s",
                    reports.get(0).run(),
                    reports.get(0).domains(),
                    r.run(),
                    r.domains());
        List<JsonNode> first = RunFiles.read(runs.get(0).resolve(RunFiles.VAL));
        Checks.require(
                !first.isEmpty(),
                "%s has no validation curve (%s); train with --eval-every > 0",
                runs.get(0),
                RunFiles.VAL);
        double target = first.get(first.size() - 1).get("mean").asDouble();
        var rows = new ArrayList<Row>();
        for (int i = 0; i < runs.size(); i++)
            rows.add(new Row(
                    reports.get(i), stepsToReach(RunFiles.read(runs.get(i).resolve(RunFiles.VAL)), target)));
        return new Result(rows, target, rows.get(0).stepsToReach());
    }

    /** First step whose mean validation loss is ≤ target (with 1e-9 slack for the run that defined it), or -1. */
    public static long stepsToReach(List<JsonNode> curve, double target) {
        for (JsonNode n : curve)
            if (n.get("mean").asDouble() <= target + 1e-9) return n.get("step").asLong();
        return -1;
    }
}
