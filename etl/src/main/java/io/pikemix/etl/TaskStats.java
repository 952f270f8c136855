package io.pikemix.etl;

import java.util.Map;

/**
 * What one ETL task read and wrote; written by the task as {@code _stats/task-NNNNN.json} in the staging
 * directory (a retried task overwrites its own file with the same content) and summed by the driver into
 * dataset.json. Counting in files rather than accumulators keeps the totals exact under task retries.
 */
public record TaskStats(int task, String domain, long inputFiles, long inputBytes, Map<String, Long> skipped,
                        Map<String, SplitStats> splits) {
    /** Per split: documents, tokens (with one EOS each), rows written, tail tokens dropped. */
    public record SplitStats(long documents, long tokens, long sequences, long tailTokensDropped) {}
}
