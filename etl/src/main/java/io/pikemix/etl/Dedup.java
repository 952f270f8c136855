package io.pikemix.etl;

import io.pikemix.etl.InputPlan.Task;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * Exact deduplication ({@code dedup: exact}): within a domain, a document whose normalised text has the same 128-bit
 * hash as an earlier one is dropped; the first by input order (task index, then position in the task) stays, whatever
 * the cluster. Normalisation: leading and trailing ASCII whitespace removed and every run of ASCII whitespace inside
 * made one space, so documents that differ only in line breaks or indentation count as the same.
 *
 * <p>It scales as a shuffle of hashes, never of texts: a first pass over the deduplicated domains emits
 * (domain, hash) → position (16 + 12 bytes per document); grouped by key, every position but the smallest is a
 * duplicate; the duplicates go back to their tasks (a partitioner by task index) and the pack pass skips them,
 * counting them as {@code duplicate} in the domain's {@code skipped} (dataset.json and the statistics table).
 */
final class Dedup {
    private Dedup() {}

    static final String SKIP_REASON = "duplicate";

    /** A document's key: its domain and the two 64-bit halves of its normalised text's hash. */
    record Key(int domain, long h1, long h2) implements Serializable {}

    /**
     * The duplicates' positions in their tasks (the ordinal of the document among the task's usable documents),
     * as pairs (task index, ordinal) in {@code tasks.size()} partitions, partition i holding task i's.
     */
    static JavaPairRDD<Integer, Long> duplicates(
            JavaSparkContext jsc, List<Task> tasks, Broadcast<SerializableConfiguration> hadoop, long maxDocBytes) {
        int n = tasks.size();
        JavaPairRDD<Key, Long> positions = jsc.parallelize(tasks, n).flatMapToPair(task -> {
            if (!task.dedup()) return Collections.emptyIterator();
            return new Positions(task, hadoop.value().value(), maxDocBytes);
        });
        return positions
                .groupByKey(Math.max(1, jsc.defaultParallelism()))
                .flatMapToPair(group -> {
                    long first = Long.MAX_VALUE;
                    int count = 0;
                    for (long p : group._2()) {
                        first = Math.min(first, p);
                        count++;
                    }
                    if (count == 1) return Collections.emptyIterator();
                    var dropped = new ArrayList<Tuple2<Integer, Long>>(count - 1);
                    for (long p : group._2())
                        if (p != first) dropped.add(new Tuple2<>((int) (p >>> 32), p & 0xFFFFFFFFL));
                    return dropped.iterator();
                })
                .partitionBy(new ByTask(n));
    }

    /** The sorted ordinals of one task's duplicates. */
    static long[] sorted(Iterator<Tuple2<Integer, Long>> it) {
        var list = new ArrayList<Long>();
        it.forEachRemaining(t -> list.add(t._2()));
        return list.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** Partition i holds task i's duplicates. */
    static final class ByTask extends Partitioner {
        private final int n;

        ByTask(int n) {
            this.n = n;
        }

        @Override
        public int numPartitions() {
            return n;
        }

        @Override
        public int getPartition(Object key) {
            return (Integer) key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ByTask b && b.n == n;
        }

        @Override
        public int hashCode() {
            return n;
        }
    }

    /** (key, task index << 32 | ordinal) of each usable document of a task, streamed. */
    private static final class Positions implements Iterator<Tuple2<Key, Long>> {
        private final Task task;
        private final DocumentReader reader;
        private final Normaliser normaliser = new Normaliser();
        private long ordinal;
        private Tuple2<Key, Long> next;

        Positions(Task task, Configuration conf, long maxDocBytes) {
            this.task = task;
            this.reader = new DocumentReader(conf, maxDocBytes, task, (a, b) -> {});
            advance();
        }

        private void advance() {
            try {
                DocumentReader.Doc d = reader.next();
                next = d == null
                        ? null
                        : new Tuple2<>(
                                normaliser.key(task.domainIndex(), d.utf8(), d.length()),
                                ((long) task.index() << 32) | ordinal++);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "task " + task.index() + " (domain " + task.domain() + "): " + e.getMessage(), e);
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public Tuple2<Key, Long> next() {
            if (next == null) throw new NoSuchElementException();
            var t = next;
            advance();
            return t;
        }
    }

    /** Normalises a document's bytes into a reused buffer and hashes them. */
    static final class Normaliser {
        private byte[] buf = new byte[1 << 12];

        Key key(int domain, byte[] utf8, int length) {
            if (buf.length < length) buf = new byte[Math.max(length, buf.length * 2)];
            int n = 0;
            boolean space = false;
            for (int i = 0; i < length; i++) {
                byte c = utf8[i];
                if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
                    space = n > 0;
                    continue;
                }
                if (space) {
                    buf[n++] = ' ';
                    space = false;
                }
                buf[n++] = c;
            }
            long h1 = XXH64.hashUnsafeBytes(buf, Platform.BYTE_ARRAY_OFFSET, n, 0x5DEECE66DL);
            long h2 = XXH64.hashUnsafeBytes(buf, Platform.BYTE_ARRAY_OFFSET, n, 0x2545F4914F6CDD1DL);
            return new Key(domain, h1, h2);
        }
    }
}
