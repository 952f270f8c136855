package io.pikemix.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code OUT/dataset.json}: the contract between the ETL and every later stage. Written last by the ETL,
 * so a directory without it is incomplete. Shards live at {@code OUT/<domain>/<split>/part-NNNNN.parquet}
 * with the schema {@link #SHARD_SCHEMA} ({@link ShardSchema}); each row holds exactly {@link #rowLength} = context + 1
 * tokens. {@code OUT} is a local directory or any Hadoop FileSystem URI ({@link DatasetDir}); format/README.md.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param createdBy     tool and version that wrote it
 * @param spec          the corpus spec file the dataset was built from
 * @param tokenizer     what produced the token ids
 * @param context       tokens per training example
 * @param rowLength     tokens per stored row (context + 1: inputs and next-token targets)
 * @param valFraction   fraction of documents (by content hash) in the validation split
 * @param splitSeed     salt of the document hash that decides the split
 * @param domains       per-domain statistics, in spec order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatasetInfo(
        int formatVersion,
        String createdBy,
        String spec,
        TokenizerInfo tokenizer,
        int context,
        int rowLength,
        double valFraction,
        long splitSeed,
        List<DomainInfo> domains) {
    /** 2: tokens as packed little-endian int32 (binary); 1 (still read): tokens as list&lt;int32&gt;. */
    public static final int FORMAT_VERSION = 2;

    public static final String FILE_NAME = "dataset.json";
    public static final String SHARD_SCHEMA =
            "seq_id: int64 (unique within domain and split, increasing within a shard), "
                    + "tokens: binary, exactly row_length token ids as little-endian int32 (4 · row_length bytes; no padding; "
                    + "documents joined by eos_id)";
    public static final List<String> SPLITS = List.of("train", "val");

    /**
     * @param name        e.g. {@code cl100k_base} or {@code bpe-8192}
     * @param spec        how it was asked for in the spec ({@code bpe:8192}, a path, an encoding name)
     * @param contentHash SHA-256 (hex) of the tokenizer definition
     * @param file        {@code tokenizer.json} beside dataset.json when the tokenizer is a file, else null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokenizerInfo(String name, String spec, String contentHash, int vocabSize, int eosId, String file) {}

    /**
     * @param skipped inputs skipped by reason (malformed_json, invalid_utf8, empty, too_large, truncated_gzip,
     *                unreadable); counted before the split, so per domain
     */
    public record DomainInfo(
            String name,
            Double prior,
            long inputFiles,
            long inputBytes,
            Map<String, Long> skipped,
            Map<String, SplitInfo> splits) {
        public SplitInfo split(String split) {
            SplitInfo s = splits.get(split);
            Checks.require(s != null, "domain '%s' has no split '%s' (has %s)", name, split, splits.keySet());
            return s;
        }
    }

    /**
     * @param documents        documents in this split
     * @param tokens           document tokens plus one EOS per document
     * @param sequences        rows written (each rowLength tokens)
     * @param tailTokensDropped tokens after the last full row of each input group, not written
     *                         (tokens = sequences·rowLength + tailTokensDropped)
     * @param shards           the Parquet files, in order
     */
    public record SplitInfo(
            long documents, long tokens, long sequences, long tailTokensDropped, List<ShardInfo> shards) {}

    /** One Parquet file: path relative to the dataset directory, rows, and the seq_id of its first row. */
    public record ShardInfo(String path, long rows, long firstSeqId) {}

    public DomainInfo domain(String name) {
        return domains.stream()
                .filter(d -> d.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new UserException("dataset has no domain '" + name + "' (has "
                        + domains.stream().map(DomainInfo::name).toList() + ")"));
    }

    public static ObjectMapper mapper() {
        return new ObjectMapper()
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** Reads {@code dir/dataset.json} (a local directory); see {@link #read(DatasetDir)}. */
    public static DatasetInfo read(Path dir) {
        return read(DatasetDir.of(dir.toString()));
    }

    /** Reads {@code URI/dataset.json}: a bare local path or any Hadoop FileSystem URI ({@link DatasetDir}). */
    public static DatasetInfo read(String uri) {
        return read(DatasetDir.of(uri));
    }

    /** Reads {@code dir/dataset.json} through Hadoop's FileSystem; a directory without it is not a (complete) dataset. */
    public static DatasetInfo read(DatasetDir dir) {
        return dir.readInfo(); // the Hadoop calls live in DatasetDir: mixer loads this class without Hadoop's jars
    }

    /** Parses a dataset.json read from {@code where}, checking its format version. */
    static DatasetInfo parse(InputStream in, Object where) throws IOException {
        DatasetInfo info = mapper().readValue(in, DatasetInfo.class);
        Checks.require(
                info.formatVersion() == FORMAT_VERSION || info.formatVersion() == 1,
                "%s: format_version %d, this build reads 1 and %d",
                where,
                info.formatVersion(),
                FORMAT_VERSION);
        return info;
    }

    public byte[] toJson() {
        try {
            return mapper().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
