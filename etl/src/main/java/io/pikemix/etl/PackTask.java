package io.pikemix.etl;

import io.pikemix.etl.InputPlan.Task;
import io.pikemix.etl.TaskStats.SplitStats;
import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.format.ShardSchema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.NoSuchElementException;

/**
 * The ETL's inner loop for one task, as a lazy iterator of shard rows {@code (domain, split, seq_id, tokens)}:
 * pull a document, assign its split by content hash, tokenize, pack; when the input ends, write the task's
 * {@link TaskStats}. Memory holds one document and the rows of one document, whatever the input size.
 *
 * <p>seq_id = (task index &lt;&lt; 32) | (row index within the task and split): unique within a domain and
 * split, increasing within a shard, and independent of the cluster.
 */
final class PackTask implements Iterator<Row> {
    static final String TRAIN = "train", VAL = "val";

    private final Task task;
    private final Tokenizer tokenizer;
    private final double valFraction;
    private final long splitSeed;
    private final String statsDir;
    private final Configuration conf;
    private final DocumentReader reader;
    private final LongAccumulator docsDone, bytesDone;
    private final ArrayDeque<Row> pending = new ArrayDeque<>();
    private final Packer train, val;
    private long trainRows, valRows, bytesRead;
    private boolean ended;

    PackTask(Task task, Tokenizer tokenizer, int rowLength, double valFraction, long splitSeed, long maxDocBytes,
             String statsDir, Configuration conf, LongAccumulator docsDone, LongAccumulator bytesDone) {
        this.task = task;
        this.tokenizer = tokenizer;
        this.valFraction = valFraction;
        this.splitSeed = splitSeed;
        this.statsDir = statsDir;
        this.conf = conf;
        this.docsDone = docsDone;
        this.bytesDone = bytesDone;
        this.reader = new DocumentReader(conf, maxDocBytes, task, n -> { bytesRead += n; if (bytesDone != null) bytesDone.add(n); });
        long base = (long) task.index() << 32;
        this.train = new Packer(rowLength, tokenizer.eosId(), r -> pending.add(RowFactory.create(task.domain(), TRAIN, base | trainRows++, ShardSchema.packTokens(r))));
        this.val = new Packer(rowLength, tokenizer.eosId(), r -> pending.add(RowFactory.create(task.domain(), VAL, base | valRows++, ShardSchema.packTokens(r))));
    }

    /**
     * The split of a document: validation iff u &lt; valFraction, where u ∈ [0,1) is the top 53 bits of
     * XXH64(utf8, splitSeed). Identical documents land in the same split, so no text is in both.
     */
    static boolean isValidation(byte[] utf8, double valFraction, long splitSeed) {
        if (valFraction <= 0) return false;
        long h = XXH64.hashUnsafeBytes(utf8, Platform.BYTE_ARRAY_OFFSET, utf8.length, splitSeed);
        return (h >>> 11) * 0x1.0p-53 < valFraction;
    }

    @Override public boolean hasNext() {
        try {
            while (pending.isEmpty() && !ended) {
                DocumentReader.Doc doc = reader.next();
                if (doc == null) {
                    ended = true;
                    writeStats();
                    break;
                }
                int[] ids = tokenizer.encode(doc.text());
                (isValidation(doc.utf8(), valFraction, splitSeed) ? val : train).add(ids);
                if (docsDone != null) docsDone.add(1);
            }
            return !pending.isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("task " + task.index() + " (domain " + task.domain() + "): " + e.getMessage(), e);
        }
    }

    @Override public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        return pending.poll();
    }

    TaskStats stats() {
        var splits = new LinkedHashMap<String, SplitStats>();
        splits.put(TRAIN, new SplitStats(train.documents(), train.tokensIn(), train.rows(), train.tail()));
        splits.put(VAL, new SplitStats(val.documents(), val.tokensIn(), val.rows(), val.tail()));
        long files = task.chunks().stream().filter(c -> c.start() == 0).count();
        long bytes = task.chunks().stream().mapToLong(InputPlan.Chunk::length).sum();
        return new TaskStats(task.index(), task.domain(), files, bytes, reader.skipped(), splits);
    }

    private void writeStats() throws IOException {
        if (statsDir == null) return;
        Path file = new Path(statsDir, String.format("task-%05d.json", task.index()));
        try (FSDataOutputStream out = file.getFileSystem(conf).create(file, true)) {
            out.write(io.pikemix.format.DatasetInfo.mapper().writeValueAsBytes(stats()));
        }
    }
}
