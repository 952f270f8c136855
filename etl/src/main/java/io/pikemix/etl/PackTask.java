package io.pikemix.etl;

import io.pikemix.etl.InputPlan.Task;
import io.pikemix.etl.TaskStats.SplitStats;
import io.pikemix.etl.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.unsafe.Platform;

/**
 * The ETL's inner loop for one task: pull a document, assign its split by content hash, tokenize, pack, and write
 * the rows straight into the task's shard files ({@link ShardWriter}, one per split, created at the first row);
 * return the task's {@link TaskStats}. Memory holds one document, one row and the writers' current row group.
 *
 * <p>seq_id = (task index &lt;&lt; 32) | (row index within the task and split): unique within a domain and
 * split, increasing within a shard, and independent of the cluster.
 *
 * <p>Files: each split's shard is written as {@code OUT/_staging/parquet/domain=D/split=S/.part-NNNNN-aA.tmp}
 * (attempt A) and renamed to {@code part-NNNNN-c000.zstd.parquet} only when the whole task has succeeded, so a
 * failed or retried attempt never leaves a partial shard under a name the driver reads; attempts of one task
 * write the same rows (the plan and the split are deterministic), so the last rename wins with the same bytes.
 */
final class PackTask {
    static final String TRAIN = "train", VAL = "val";

    private final Task task;
    private final Tokenizer tokenizer;
    private final double valFraction;
    private final long splitSeed;
    private final String parquetDir;
    private final Configuration conf;
    private final int attempt;
    private final DocumentReader reader;
    private final Meter meter;
    private final Packer train, val;
    private final Output trainOut, valOut;
    private long[] duplicates = new long[0];

    /**
     * @param parquetDir where the shards go ({@code domain=D/split=S/} below it); null: rows are packed and counted
     *                   but not written (the statistics alone)
     * @param meter      live progress (documents, bytes, tokens), or null
     */
    PackTask(
            Task task,
            Tokenizer tokenizer,
            int rowLength,
            double valFraction,
            long splitSeed,
            long maxDocBytes,
            String parquetDir,
            Configuration conf,
            int attempt,
            Meter meter) {
        this.task = task;
        this.tokenizer = tokenizer;
        this.valFraction = valFraction;
        this.splitSeed = splitSeed;
        this.parquetDir = parquetDir;
        this.conf = conf;
        this.attempt = attempt;
        this.meter = meter != null ? meter : new Meter(null, task.domainIndex());
        this.reader = new DocumentReader(conf, maxDocBytes, task, this.meter::bytes);
        long base = (long) task.index() << 32;
        this.trainOut = new Output(TRAIN, base);
        this.valOut = new Output(VAL, base);
        this.train = new Packer(rowLength, tokenizer.eosId(), trainOut::row);
        this.val = new Packer(rowLength, tokenizer.eosId(), valOut::row);
    }

    /**
     * The split of a document: validation iff u &lt; valFraction, where u ∈ [0,1) is the top 53 bits of
     * XXH64(utf8, splitSeed). Identical documents land in the same split, so no text is in both.
     */
    static boolean isValidation(byte[] utf8, double valFraction, long splitSeed) {
        return isValidation(utf8, utf8.length, valFraction, splitSeed);
    }

    /** {@link #isValidation(byte[], double, long)} of {@code utf8[0, length)}. */
    static boolean isValidation(byte[] utf8, int length, double valFraction, long splitSeed) {
        if (valFraction <= 0) return false;
        long h = XXH64.hashUnsafeBytes(utf8, Platform.BYTE_ARRAY_OFFSET, length, splitSeed);
        return (h >>> 11) * 0x1.0p-53 < valFraction;
    }

    /** Drops the documents at these ordinals (sorted; among the task's usable documents) as duplicates ({@link Dedup}). */
    PackTask dropping(long[] sortedOrdinals) {
        this.duplicates = sortedOrdinals;
        return this;
    }

    /** Reads, packs and writes the whole task; its statistics. */
    TaskStats run() {
        boolean ok = false;
        try {
            long ordinal = 0;
            int nextDuplicate = 0;
            for (DocumentReader.Doc doc; (doc = reader.next()) != null; ordinal++) {
                if (nextDuplicate < duplicates.length && duplicates[nextDuplicate] == ordinal) {
                    nextDuplicate++;
                    reader.skip(Dedup.SKIP_REASON);
                    continue;
                }
                Packer p = isValidation(doc.utf8(), doc.length(), valFraction, splitSeed) ? val : train;
                long before = p.tokensIn();
                tokenizer.encodeUtf8(doc.utf8(), 0, doc.length(), p); // ids go straight into the row
                p.endDocument();
                meter.document(p.tokensIn() - before);
            }
            trainOut.close();
            valOut.close();
            trainOut.commit();
            valOut.commit();
            meter.flush();
            ok = true;
            return stats();
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "task " + task.index() + " (domain " + task.domain() + "): " + e.getMessage(), e);
        } finally {
            if (!ok) {
                trainOut.abort();
                valOut.abort();
            }
        }
    }

    TaskStats stats() {
        var splits = new LinkedHashMap<String, SplitStats>();
        splits.put(TRAIN, new SplitStats(train.documents(), train.tokensIn(), train.rows(), train.tail()));
        splits.put(VAL, new SplitStats(val.documents(), val.tokensIn(), val.rows(), val.tail()));
        long files = task.chunks().stream().filter(c -> c.start() == 0).count();
        long bytes = task.chunks().stream().mapToLong(InputPlan.Chunk::length).sum();
        return new TaskStats(task.index(), task.domain(), files, bytes, reader.skipped(), splits);
    }

    /** One split's rows (the packer's little-endian bytes, as they are) appended to its shard file. */
    private final class Output {
        private final String split;
        private final long base;
        private long rows;
        private ShardWriter writer;
        private Path tmp;

        Output(String split, long base) {
            this.split = split;
            this.base = base;
        }

        void row(byte[] packed) {
            long seqId = base | rows++;
            if (parquetDir == null) return;
            try {
                if (writer == null) {
                    tmp = new Path(dir(), String.format(".part-%05d-a%d.tmp", task.index(), attempt));
                    writer = new ShardWriter(tmp, conf);
                }
                writer.write(seqId, packed, packed.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Path dir() {
            return new Path(parquetDir, Schemas.DOMAIN + "=" + task.domain() + "/" + Schemas.SPLIT + "=" + split);
        }

        void close() throws IOException {
            if (writer != null) {
                writer.close();
                writer = null;
            }
        }

        /** Renames the finished shard into place (replacing an earlier attempt's). */
        void commit() throws IOException {
            if (tmp == null) return;
            Path dst = new Path(dir(), String.format("part-%05d-c000.zstd.parquet", task.index()));
            FileSystem fs = dst.getFileSystem(conf);
            fs.delete(dst, false);
            if (!fs.rename(tmp, dst)) throw new IOException("could not rename " + tmp + " to " + dst);
            tmp = null;
        }

        void abort() {
            try {
                close();
            } catch (IOException | RuntimeException ignored) {
                // the attempt failed already; its temporary file is removed below or with the staging directory
            }
            try {
                if (tmp != null) tmp.getFileSystem(conf).delete(tmp, false);
            } catch (IOException ignored) {
                // left for the staging directory's removal
            }
        }
    }
}
