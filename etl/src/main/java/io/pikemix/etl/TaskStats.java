package io.pikemix.etl;

import java.util.Map;

/**
 * What one ETL task read and wrote: the task's result, collected by the driver (one per task, whatever the retries)
 * and summed into dataset.json. Returning results rather than adding to accumulators keeps the totals exact under
 * task retries.
 */
public record TaskStats(
        int task,
        String domain,
        long inputFiles,
        long inputBytes,
        Map<String, Long> skipped,
        Map<String, SplitStats> splits)
        implements java.io.Serializable {
    /** Per split: documents, tokens (with one EOS each), rows written, tail tokens dropped. */
    public record SplitStats(long documents, long tokens, long sequences, long tailTokensDropped)
            implements java.io.Serializable {}
}
