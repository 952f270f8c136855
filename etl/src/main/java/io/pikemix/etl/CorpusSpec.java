package io.pikemix.etl;

import io.pikemix.format.Checks;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;

/**
 * A validated corpus spec (the YAML file named by {@code --spec}): the domains and how to read them,
 * plus the packing settings. Built only by {@link CorpusSpecs#load}; every field has been checked.
 *
 * @param file        the spec file (its directory anchors relative paths)
 * @param domains     the domains, in file order; names unique
 * @param tokenizer   {@code cl100k_base}, {@code o200k_base}, a path to a HuggingFace tokenizer.json
 *                    (relative to the spec), or {@code bpe:N} to train an N-token byte-level BPE on the
 *                    corpus's training split first
 * @param context     tokens per training example; each packed row holds {@code context + 1} tokens
 * @param valFraction fraction of documents (by content hash) held out for validation, in [0, 1)
 * @param splitSeed   salt of the document hash that decides the split
 * @param maxDocBytes documents larger than this (UTF-8 bytes) are skipped and counted as {@code too_large}
 * @param splitBytes  uncompressed input files larger than this are read in byte ranges of this size,
 *                    and small files are grouped up to this size: one group is one Spark task
 */
public record CorpusSpec(
        Path file,
        List<DomainSpec> domains,
        String tokenizer,
        int context,
        double valFraction,
        long splitSeed,
        long maxDocBytes,
        long splitBytes)
        implements Serializable {
    public static final String DEFAULT_TOKENIZER = "cl100k_base";
    public static final int DEFAULT_CONTEXT = 1024; // paper, Appendix D.5 Table 6
    public static final double DEFAULT_VAL_FRACTION = 0.05;
    public static final long DEFAULT_MAX_DOC_BYTES = 8L << 20;
    public static final long DEFAULT_SPLIT_BYTES = 64L << 20;

    public CorpusSpec {
        domains = List.copyOf(domains);
        Checks.require(!domains.isEmpty(), "%s: 'domains' is empty; name at least one domain", file);
        var seen = new HashSet<String>();
        for (DomainSpec d : domains)
            Checks.require(seen.add(d.name()), "%s: duplicate domain name '%s'", file, d.name());
        Checks.require(
                context >= 1 && context <= 1 << 20, "%s: 'context' must be in [1, 1048576], got %d", file, context);
        Checks.require(
                valFraction >= 0 && valFraction < 1, "%s: 'val_fraction' must be in [0, 1), got %s", file, valFraction);
        Checks.require(maxDocBytes > 0, "%s: 'max_doc_bytes' must be > 0, got %d", file, maxDocBytes);
        Checks.require(splitBytes >= 1 << 16, "%s: 'split_bytes' must be >= 65536, got %d", file, splitBytes);
        Checks.require(tokenizer != null && !tokenizer.isBlank(), "%s: 'tokenizer' is empty", file);
    }

    /** The directory that relative paths in the spec are resolved against. */
    public Path baseDir() {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of(".").toAbsolutePath() : parent;
    }

    /** A copy with command-line overrides applied (null keeps the spec's value). */
    public CorpusSpec with(String tokenizer, Integer context, Double valFraction) {
        return new CorpusSpec(
                file,
                domains,
                tokenizer == null ? this.tokenizer : tokenizer,
                context == null ? this.context : context,
                valFraction == null ? this.valFraction : valFraction,
                splitSeed,
                maxDocBytes,
                splitBytes);
    }

    public List<String> domainNames() {
        return domains.stream().map(DomainSpec::name).toList();
    }

    /** Input formats of a domain. */
    public enum Format {
        JSONL,
        TEXT,
        PARQUET
    }

    /** How {@code text} files are cut into documents. */
    public enum DocSeparator {
        FILE,
        BLANK_LINE
    }

    /** Deduplication of a domain's documents: none, or exact (by the hash of the whitespace-normalised text; {@link Dedup}). */
    public enum DedupMode {
        NONE,
        EXACT
    }

    /**
     * One domain of the spec.
     *
     * @param paths        globs relative to the spec file (or absolute, or any Hadoop URI)
     * @param prior        optional prior weight (null when absent), e.g. a column of the paper's Table 4
     * @param textColumn   the text column of {@code parquet} inputs (and the JSON field of {@code jsonl})
     * @param docSeparator for {@code text}: one document per file, or documents separated by blank lines
     * @param dedup        whether documents repeating an earlier one of the domain are dropped (spec key {@code dedup},
     *                     top level or per domain)
     */
    public record DomainSpec(
            String name,
            Format format,
            List<String> paths,
            Double prior,
            String textColumn,
            DocSeparator docSeparator,
            DedupMode dedup)
            implements Serializable {
        public DomainSpec {
            paths = List.copyOf(paths);
            if (dedup == null) dedup = DedupMode.NONE;
        }

        /** A domain without deduplication. */
        public DomainSpec(
                String name,
                Format format,
                List<String> paths,
                Double prior,
                String textColumn,
                DocSeparator docSeparator) {
            this(name, format, paths, prior, textColumn, docSeparator, DedupMode.NONE);
        }
    }
}
