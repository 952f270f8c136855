package io.pikemix.etl;

import io.pikemix.format.Checks;

/**
 * Everything the ETL job needs, validated: the spec (with command-line overrides applied), the output
 * directory (a local path or any Hadoop URI), whether an existing dataset there may be replaced, how
 * often progress is printed (0: never), and the factor of the free-space check ({@link SpaceCheck}: the job refuses
 * to start unless the output file system has {@code spaceFactor} × the planned input bytes free; 0: no check).
 */
public record EtlConfig(CorpusSpec spec, String out, boolean overwrite, long progressIntervalMs, double spaceFactor) {
    /** The free-space factor by default ({@link SpaceCheck}). */
    public static final double DEFAULT_SPACE_FACTOR = 1.0;

    public EtlConfig {
        Checks.require(spec != null, "no corpus spec");
        Checks.require(out != null && !out.isBlank(), "--out is empty");
        Checks.require(progressIntervalMs >= 0, "progress interval must be >= 0, got %d", progressIntervalMs);
        Checks.require(
                spaceFactor >= 0 && Double.isFinite(spaceFactor),
                "--space-factor must be a finite number >= 0, got %s",
                spaceFactor);
    }

    /** With the default free-space factor, {@link #DEFAULT_SPACE_FACTOR}. */
    public EtlConfig(CorpusSpec spec, String out, boolean overwrite, long progressIntervalMs) {
        this(spec, out, overwrite, progressIntervalMs, DEFAULT_SPACE_FACTOR);
    }
}
