package io.pikemix.etl;

import io.pikemix.format.Checks;

/**
 * Everything the ETL job needs, validated: the spec (with command-line overrides applied), the output
 * directory (a local path or any Hadoop URI), whether an existing dataset there may be replaced, and how
 * often progress is printed (0: never).
 */
public record EtlConfig(CorpusSpec spec, String out, boolean overwrite, long progressIntervalMs) {
    public EtlConfig {
        Checks.require(spec != null, "no corpus spec");
        Checks.require(out != null && !out.isBlank(), "--out is empty");
        Checks.require(progressIntervalMs >= 0, "progress interval must be >= 0, got %d", progressIntervalMs);
    }
}
