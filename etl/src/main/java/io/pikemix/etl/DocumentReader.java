package io.pikemix.etl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.pikemix.etl.InputPlan.Chunk;
import io.pikemix.etl.InputPlan.Task;
import io.pikemix.format.UserException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.TaskAttemptID;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.LineRecordReader;
import org.apache.hadoop.mapreduce.task.TaskAttemptContextImpl;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/**
 * Executor-side: streams the documents of one {@link Task}, one at a time (memory does not grow with the
 * input), and counts every input it cannot use by reason instead of failing or dropping it silently:
 *
 * <ul>
 *   <li>{@code malformed_json}: a jsonl line that is not a JSON object with a string field {@code text_column}</li>
 *   <li>{@code invalid_utf8}: a document whose bytes are not valid UTF-8</li>
 *   <li>{@code empty}: a document that is empty or only whitespace</li>
 *   <li>{@code too_large}: a document over {@code max_doc_bytes} (a text file is not read past the limit)</li>
 *   <li>{@code truncated_gzip}: a compressed file that ends early; the documents before the damage are kept</li>
 * </ul>
 */
final class DocumentReader {
    /**
     * A usable document: its UTF-8 bytes {@code utf8()[0, length())}, valid UTF-8 (hashed and tokenized as they
     * are), and its text, decoded only when asked for (a JSON line's text may come decoded from the parser). The
     * bytes may be a buffer the reader reuses: they and {@link #text()} are valid until the next {@link #next()}.
     */
    static final class Doc {
        private String text;
        private final byte[] utf8;
        private final int length;

        Doc(String text, byte[] utf8, int length) {
            this.text = text;
            this.utf8 = utf8;
            this.length = length;
        }

        String text() {
            if (text == null) text = new String(utf8, 0, length, StandardCharsets.UTF_8);
            return text;
        }

        byte[] utf8() {
            return utf8;
        }

        int length() {
            return length;
        }
    }

    /**
     * Receives progress: {@code uncompressed} bytes read, and {@code plan} bytes of the planned input done (the
     * chunks' lengths: counted as read for uncompressed inputs, at the end of each compressed file or Parquet file).
     */
    interface Progress {
        void bytes(long uncompressed, long plan);
    }

    /** Pull-based source of one chunk's documents. */
    private interface Source extends AutoCloseable {
        /** The next usable document, or null at the end of the chunk. */
        Doc next() throws IOException;

        @Override
        void close() throws IOException;
    }

    private final Configuration conf;
    private final long maxDocBytes;
    private final Map<String, Long> skipped = new TreeMap<>();
    private final JsonFactory json = new JsonFactory();
    private CompressionCodecFactory codecs; // built once: its constructor scans the codec classes
    private final Task task;
    private final Progress progress;
    private int chunkIndex;
    private Source source;
    private Chunk chunk;
    private boolean planAtEnd; // the chunk's plan bytes are counted when it ends
    private long planCounted;

    DocumentReader(Configuration conf, long maxDocBytes, Task task, Progress progress) {
        this.conf = conf;
        this.maxDocBytes = maxDocBytes;
        this.task = task;
        this.progress = progress;
    }

    /** Skips so far, by reason. */
    Map<String, Long> skipped() {
        return skipped;
    }

    /**
     * The task's next usable document, or null when all its chunks are read. Memory holds one document. An input
     * file that is gone (deleted after the job was planned) or that this user may not read is a {@link UserException}
     * naming it, not a skip: the spec names the file, and dropping all of it would change the dataset silently.
     */
    Doc next() throws IOException {
        while (true) {
            if (source == null) {
                if (chunkIndex == task.chunks().size()) return null;
                chunk = task.chunks().get(chunkIndex++);
                planCounted = 0;
                if (codecs == null) codecs = new CompressionCodecFactory(conf);
                planAtEnd =
                        task.format() == CorpusSpec.Format.PARQUET || codecs.getCodec(new Path(chunk.path())) != null;
                source = openOrExplain(chunk);
            }
            Doc d = source.next();
            if (d != null) return d;
            source.close();
            source = null;
            progress.bytes(0, chunk.length() - planCounted);
        }
    }

    /** {@link #open}, with a file that is gone or unreadable when the task opens it as a user error naming it. */
    private Source openOrExplain(Chunk chunk) throws IOException {
        try {
            return open(chunk);
        } catch (org.apache.hadoop.security.AccessControlException | java.nio.file.AccessDeniedException e) {
            throw denied(e);
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            // java.io.FileInputStream reports EACCES as a FileNotFoundException "PATH (Permission denied)"
            if (String.valueOf(e.getMessage()).contains("Permission denied")) throw denied(e);
            throw new UserException(
                    "domain '" + task.domain() + "': input file " + chunk.path()
                            + " is gone: it was listed when the job was planned, then deleted before it was read;"
                            + " restore it, or remove it from the spec, and run again",
                    e);
        }
    }

    /** HDFS says who was denied what ("Permission denied: user=U, access=READ, inode=..."); java.io says less. */
    private UserException denied(IOException e) {
        String detail = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        return new UserException(
                "domain '" + task.domain() + "': cannot read input file " + chunk.path() + ": "
                        + (detail.startsWith("Permission denied") ? detail : "permission denied")
                        + "; give this user read access, or remove the file from the spec, and run again",
                e);
    }

    private Source open(Chunk chunk) throws IOException {
        return switch (task.format()) {
            case JSONL -> jsonl(chunk, task.textColumn());
            case TEXT -> task.separator() == CorpusSpec.DocSeparator.FILE ? wholeFile(chunk) : paragraphs(chunk);
            case PARQUET -> parquet(chunk, task.textColumn());
        };
    }

    /** Counts a skipped input by reason (also for documents the caller drops, e.g. duplicates). */
    void skip(String reason) {
        skipped.merge(reason, 1L, Long::sum);
    }

    /** {@code n} uncompressed bytes read from the current chunk. */
    private void consumed(long n) {
        long plan = planAtEnd ? 0 : Math.min(n, chunk.length() - planCounted);
        planCounted += plan;
        progress.bytes(n, plan);
    }

    /** Checks strictly (UTF-8, not blank, size) without decoding: the document, or null after counting why not. */
    private Doc doc(byte[] bytes, int length) {
        if (length > maxDocBytes) {
            skip("too_large");
            return null;
        }
        if (!Utf8.isValid(bytes, 0, length)) {
            skip("invalid_utf8");
            return null;
        }
        if (Utf8.isBlank(bytes, length)) {
            skip("empty");
            return null;
        }
        return new Doc(null, bytes, length);
    }

    private Doc doc(String text) {
        if (text.isBlank()) {
            skip("empty");
            return null;
        }
        byte[] utf8Bytes = text.getBytes(StandardCharsets.UTF_8);
        if (utf8Bytes.length > maxDocBytes) {
            skip("too_large");
            return null;
        }
        return new Doc(text, utf8Bytes, utf8Bytes.length);
    }

    private LineRecordReader lines(Chunk chunk) throws IOException {
        var reader = new LineRecordReader();
        reader.initialize(
                new FileSplit(new Path(chunk.path()), chunk.start(), chunk.length(), null),
                new TaskAttemptContextImpl(conf, new TaskAttemptID()));
        return reader;
    }

    /** Next line, or null at the end; a truncated compressed stream ends the chunk and is counted. */
    private Text next(LineRecordReader reader) throws IOException {
        try {
            return reader.nextKeyValue() ? reader.getCurrentValue() : null;
        } catch (EOFException e) {
            skip("truncated_gzip");
            return null;
        } catch (IOException e) {
            if (isTruncation(e)) {
                skip("truncated_gzip");
                return null;
            }
            throw e;
        }
    }

    private Source jsonl(Chunk chunk, String field) throws IOException {
        LineRecordReader reader = lines(chunk);
        JsonText fast = new JsonText(field);
        return new Source() {
            @Override
            public Doc next() throws IOException {
                for (Text line; (line = DocumentReader.this.next(reader)) != null; ) {
                    consumed(line.getLength() + 1L);
                    if (isBlank(line)) continue; // blank lines carry no document
                    if (line.getLength() > maxDocBytes + 64L) {
                        skip("too_large");
                        continue;
                    }
                    byte[] raw = line.getBytes();
                    int n = line.getLength();
                    int len = fast.decode(raw, n); // the common line in one pass; anything else: Jackson below
                    if (len != JsonText.UNUSUAL) {
                        if (Utf8.isBlank(fast.buffer(), len)) {
                            skip("empty");
                            continue;
                        }
                        if (len > maxDocBytes) {
                            skip("too_large");
                            continue;
                        }
                        return new Doc(null, fast.buffer(), len);
                    }
                    if (!Utf8.isValid(raw, 0, n)) {
                        skip("invalid_utf8");
                        continue;
                    }
                    String text = jsonText(raw, n, field);
                    if (text == null) {
                        skip("malformed_json");
                        continue;
                    }
                    Doc d = doc(text);
                    if (d != null) return d;
                }
                return null;
            }

            @Override
            public void close() throws IOException {
                reader.close();
            }
        };
    }

    /** The string value of top-level field {@code field}, or null when the line is not such an object. */
    private String jsonText(byte[] raw, int n, String field) {
        try (JsonParser p = json.createParser(raw, 0, n)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            String text = null;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) return null;
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals(field)) {
                    if (v != JsonToken.VALUE_STRING) return null;
                    text = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            return p.nextToken() == null ? text : null; // trailing garbage after the object
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isBlank(Text line) {
        byte[] b = line.getBytes();
        for (int i = 0; i < line.getLength(); i++) if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') return false;
        return true;
    }

    private InputStream stream(Chunk chunk) throws IOException {
        Path path = new Path(chunk.path());
        InputStream in = path.getFileSystem(conf).open(path);
        if (codecs == null) codecs = new CompressionCodecFactory(conf);
        CompressionCodec codec = codecs.getCodec(path);
        return codec == null ? in : codec.createInputStream(in);
    }

    /** One document per file; reads at most max_doc_bytes + 1 bytes of it. */
    private Source wholeFile(Chunk chunk) {
        return new Source() {
            boolean done;

            @Override
            public Doc next() throws IOException {
                if (done) return null;
                done = true;
                var buf = new ByteArrayOutputStream();
                boolean truncated = false, tooLarge = false;
                try (InputStream in = stream(chunk)) {
                    byte[] block = new byte[1 << 16];
                    for (int n; (n = in.read(block)) > 0; ) {
                        buf.write(block, 0, n);
                        consumed(n);
                        if (buf.size() > maxDocBytes) {
                            tooLarge = true;
                            break;
                        }
                    }
                } catch (EOFException e) {
                    truncated = true;
                } catch (IOException e) {
                    if (!isTruncation(e)) throw e;
                    truncated = true;
                }
                if (tooLarge) skip("too_large");
                else if (truncated) skip("truncated_gzip");
                else return doc(buf.toByteArray(), buf.size());
                return null;
            }

            @Override
            public void close() {}
        };
    }

    /** Documents separated by one or more blank lines. */
    private Source paragraphs(Chunk chunk) throws IOException {
        LineRecordReader reader = lines(chunk);
        return new Source() {
            final ByteArrayOutputStream doc = new ByteArrayOutputStream();
            boolean oversize, ended;
            /** Ends the current paragraph: its document, or null (nothing pending, or counted as skipped). */
            Doc finish() {
                Doc d = null;
                if (oversize) skip("too_large");
                else if (doc.size() > 0) d = doc(doc.toByteArray(), doc.size());
                doc.reset();
                oversize = false;
                return d;
            }

            @Override
            public Doc next() throws IOException {
                while (!ended) {
                    Text line = DocumentReader.this.next(reader);
                    if (line == null) {
                        ended = true;
                        return finish();
                    }
                    consumed(line.getLength() + 1L);
                    if (isBlank(line)) {
                        Doc d = finish();
                        if (d != null) return d;
                        continue;
                    }
                    if (oversize) continue;
                    if (doc.size() > 0) doc.write('\n');
                    doc.write(line.getBytes(), 0, line.getLength());
                    if (doc.size() > maxDocBytes) {
                        oversize = true;
                        doc.reset();
                    }
                }
                return null;
            }

            @Override
            public void close() throws IOException {
                reader.close();
            }
        };
    }

    private Source parquet(Chunk chunk, String column) throws IOException {
        ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new Path(chunk.path()))
                .withConf(conf)
                .build();
        return new Source() {
            @Override
            public Doc next() throws IOException {
                for (Group g; (g = reader.read()) != null; ) {
                    if (g.getFieldRepetitionCount(column) == 0) {
                        skip("empty");
                        continue;
                    }
                    byte[] bytes = g.getBinary(column, 0).getBytes();
                    consumed(bytes.length);
                    Doc d = doc(bytes, bytes.length);
                    if (d != null) return d;
                }
                return null;
            }

            @Override
            public void close() throws IOException {
                reader.close();
            }
        };
    }

    private static boolean isTruncation(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("Unexpected end of")
                || m.contains("Not in GZIP format")
                || m.contains("Corrupt GZIP trailer");
    }
}
