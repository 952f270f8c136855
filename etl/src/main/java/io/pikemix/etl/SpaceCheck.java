package io.pikemix.etl;

import io.pikemix.format.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ETL's guard against a full disk: before anything is written, the output file system must have room for the
 * estimate {@code factor × planned input bytes}. The default factor, {@link EtlConfig#DEFAULT_SPACE_FACTOR} (1), is an upper bound
 * for uncompressed text inputs: the tokenized zstd shards of {@code bench/etl} (genres corpus, {@code bpe:8192},
 * JSON lines) took 0.38 of the input's bytes, and ids of a smaller vocabulary or less repetitive text take more,
 * up to ≈ 1 (4-byte ids at ≈ 4 bytes of text per token, before compression). Compressed inputs (gzip, Parquet) are
 * planned at their compressed size: pass {@code --space-factor 4} or so for them; 0 turns the check off.
 *
 * <p>Free space: {@link java.nio.file.FileStore#getUsableSpace} of the nearest existing directory for {@code file:}
 * outputs, Hadoop's {@link FileSystem#getStatus} {@code getRemaining()} otherwise (HDFS: the cluster's remaining
 * raw bytes, before replication). A file system that reports nothing is not checked (logged).
 */
final class SpaceCheck {
    private static final Logger log = LoggerFactory.getLogger(SpaceCheck.class);

    private SpaceCheck() {}

    /** Refuses (a {@link UserException} naming the numbers) when {@code usable} bytes (-1: unknown) are too few. */
    static void check(String out, long inputBytes, double factor, long usable) {
        if (factor <= 0 || usable < 0) return;
        double estimate = inputBytes * factor;
        if (estimate > usable)
            throw new UserException(String.format(
                    Locale.ROOT,
                    "not enough space for the dataset at %s: the estimate is %,.1f MB (%,.1f MB of input × %s,"
                            + " --space-factor) but its file system has %,.1f MB usable; free space, write elsewhere,"
                            + " or pass a smaller --space-factor (0: no check)",
                    out,
                    estimate / 1e6,
                    inputBytes / 1e6,
                    factor,
                    usable / 1e6));
    }

    /** The usable bytes of the file system that holds {@code out} (which need not exist yet), or -1 if unknown. */
    static long usableBytes(FileSystem fs, Path out) {
        try {
            Path p = fs.makeQualified(out);
            while (p != null && !fs.exists(p)) p = p.getParent();
            if (p == null) return -1;
            if ("file".equals(fs.getUri().getScheme()))
                return Files.getFileStore(java.nio.file.Path.of(p.toUri())).getUsableSpace();
            long remaining = fs.getStatus(p).getRemaining();
            return remaining > 0 ? remaining : -1;
        } catch (IOException | UnsupportedOperationException e) {
            log.info("free space at {} unknown ({}): not checked", out, e.toString());
            return -1;
        }
    }
}
