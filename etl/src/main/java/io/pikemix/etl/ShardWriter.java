package io.pikemix.etl;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Writes one shard file ({@code seq_id: int64, tokens: binary}, format 2) straight from a task with parquet-hadoop,
 * the library Spark's own Parquet writer wraps: the same message type, the same key-value metadata
 * ({@code org.apache.spark.version}, {@code org.apache.spark.sql.parquet.row.metadata}), zstd, no dictionary, the
 * same page and row-group sizes — so the file is what {@code DataFrame.write().parquet()} wrote before, without a
 * Spark row, a row conversion or Spark SQL's per-job planning and code generation in between. The tokens value is
 * written from a reused buffer (one copy, into the page).
 */
final class ShardWriter implements AutoCloseable {
    /** What Spark writes for {@link Schemas#SHARD} (both columns non-null, so {@code required}). */
    static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
            "message spark_schema {\n  required int64 seq_id;\n  required binary tokens;\n}\n");

    private static final String SPARK_ROW_METADATA = "{\"type\":\"struct\",\"fields\":["
            + "{\"name\":\"seq_id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
            + "{\"name\":\"tokens\",\"type\":\"binary\",\"nullable\":false,\"metadata\":{}}]}";

    private final ParquetWriter<ShardWriter> writer;
    private long seqId;
    private byte[] tokens;
    private int length;

    ShardWriter(Path file, Configuration conf) throws IOException {
        var builder = new Builder(file, conf);
        builder.withConf(conf)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withDictionaryEncoding(false)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0);
        this.writer = builder.build();
    }

    /** Appends one row; {@code tokens[0, length)} is the packed little-endian int32 value (the buffer may be reused). */
    void write(long seqId, byte[] tokens, int length) throws IOException {
        this.seqId = seqId;
        this.tokens = tokens;
        this.length = length;
        writer.write(this);
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }

    private static final class Builder extends ParquetWriter.Builder<ShardWriter, Builder> {
        Builder(Path file, Configuration conf) throws IOException {
            super(HadoopOutputFile.fromPath(file, conf));
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<ShardWriter> getWriteSupport(Configuration conf) {
            return new Support();
        }
    }

    private static final class Support extends WriteSupport<ShardWriter> {
        private RecordConsumer out;

        @Override
        public WriteContext init(Configuration configuration) {
            Map<String, String> meta = new HashMap<>();
            meta.put("org.apache.spark.version", org.apache.spark.package$.MODULE$.SPARK_VERSION_SHORT());
            meta.put("org.apache.spark.sql.parquet.row.metadata", SPARK_ROW_METADATA);
            return new WriteContext(SCHEMA, meta);
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            out = recordConsumer;
        }

        @Override
        public void write(ShardWriter r) {
            out.startMessage();
            out.startField("seq_id", 0);
            out.addLong(r.seqId);
            out.endField("seq_id", 0);
            out.startField("tokens", 1);
            out.addBinary(Binary.fromReusedByteArray(r.tokens, 0, r.length));
            out.endField("tokens", 1);
            out.endMessage();
        }
    }
}
