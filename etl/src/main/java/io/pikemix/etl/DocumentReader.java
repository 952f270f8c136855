package io.pikemix.etl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.pikemix.etl.InputPlan.Chunk;
import io.pikemix.etl.InputPlan.Task;
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

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

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
    /** A usable document: its text and its UTF-8 bytes (for hashing without re-encoding). */
    record Doc(String text, byte[] utf8) {}

    /** Receives progress: uncompressed bytes consumed. */
    interface Progress { void bytes(long n); }

    /** Pull-based source of one chunk's documents. */
    private interface Source extends AutoCloseable {
        /** The next usable document, or null at the end of the chunk. */
        Doc next() throws IOException;
        @Override void close() throws IOException;
    }

    private final Configuration conf;
    private final long maxDocBytes;
    private final Map<String, Long> skipped = new TreeMap<>();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final JsonFactory json = new JsonFactory();
    private CompressionCodecFactory codecs;         // built once: its constructor scans the codec classes
    private final Task task;
    private final Progress progress;
    private int chunkIndex;
    private Source source;

    DocumentReader(Configuration conf, long maxDocBytes, Task task, Progress progress) {
        this.conf = conf;
        this.maxDocBytes = maxDocBytes;
        this.task = task;
        this.progress = progress;
    }

    /** Skips so far, by reason. */
    Map<String, Long> skipped() { return skipped; }

    /** The task's next usable document, or null when all its chunks are read. Memory holds one document. */
    Doc next() throws IOException {
        while (true) {
            if (source == null) {
                if (chunkIndex == task.chunks().size()) return null;
                source = open(task.chunks().get(chunkIndex++));
            }
            Doc d = source.next();
            if (d != null) return d;
            source.close();
            source = null;
        }
    }

    private Source open(Chunk chunk) throws IOException {
        return switch (task.format()) {
            case JSONL -> jsonl(chunk, task.textColumn());
            case TEXT -> task.separator() == CorpusSpec.DocSeparator.FILE ? wholeFile(chunk) : paragraphs(chunk);
            case PARQUET -> parquet(chunk, task.textColumn());
        };
    }

    private void skip(String reason) { skipped.merge(reason, 1L, Long::sum); }

    /** Decodes strictly: the document, or null after counting why not. */
    private Doc doc(byte[] bytes, int length) {
        if (length > maxDocBytes) { skip("too_large"); return null; }
        String text;
        try {
            text = utf8.decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            skip("invalid_utf8");
            return null;
        }
        return doc(text, length == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, length));
    }

    private Doc doc(String text, byte[] utf8Bytes) {
        if (text.isBlank()) { skip("empty"); return null; }
        if (utf8Bytes.length > maxDocBytes) { skip("too_large"); return null; }
        return new Doc(text, utf8Bytes);
    }

    private LineRecordReader lines(Chunk chunk) throws IOException {
        var reader = new LineRecordReader();
        reader.initialize(new FileSplit(new Path(chunk.path()), chunk.start(), chunk.length(), null),
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
        return new Source() {
            @Override public Doc next() throws IOException {
                for (Text line; (line = DocumentReader.this.next(reader)) != null; ) {
                    progress.bytes(line.getLength() + 1L);
                    if (isBlank(line)) continue;                   // blank lines carry no document
                    if (line.getLength() > maxDocBytes + 64L) { skip("too_large"); continue; }
                    byte[] raw = line.getBytes();
                    int n = line.getLength();
                    try {
                        utf8.decode(ByteBuffer.wrap(raw, 0, n));
                    } catch (CharacterCodingException e) {
                        skip("invalid_utf8");
                        continue;
                    }
                    String text = jsonText(raw, n, field);
                    if (text == null) { skip("malformed_json"); continue; }
                    Doc d = doc(text, text.getBytes(StandardCharsets.UTF_8));
                    if (d != null) return d;
                }
                return null;
            }
            @Override public void close() throws IOException { reader.close(); }
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
            return p.nextToken() == null ? text : null;           // trailing garbage after the object
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
            @Override public Doc next() throws IOException {
                if (done) return null;
                done = true;
                var buf = new ByteArrayOutputStream();
                boolean truncated = false, tooLarge = false;
                try (InputStream in = stream(chunk)) {
                    byte[] block = new byte[1 << 16];
                    for (int n; (n = in.read(block)) > 0; ) {
                        buf.write(block, 0, n);
                        progress.bytes(n);
                        if (buf.size() > maxDocBytes) { tooLarge = true; break; }
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
            @Override public void close() {}
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
            @Override public Doc next() throws IOException {
                while (!ended) {
                    Text line = DocumentReader.this.next(reader);
                    if (line == null) { ended = true; return finish(); }
                    progress.bytes(line.getLength() + 1L);
                    if (isBlank(line)) {
                        Doc d = finish();
                        if (d != null) return d;
                        continue;
                    }
                    if (oversize) continue;
                    if (doc.size() > 0) doc.write('\n');
                    doc.write(line.getBytes(), 0, line.getLength());
                    if (doc.size() > maxDocBytes) { oversize = true; doc.reset(); }
                }
                return null;
            }
            @Override public void close() throws IOException { reader.close(); }
        };
    }

    private Source parquet(Chunk chunk, String column) throws IOException {
        ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), new Path(chunk.path())).withConf(conf).build();
        return new Source() {
            @Override public Doc next() throws IOException {
                for (Group g; (g = reader.read()) != null; ) {
                    if (g.getFieldRepetitionCount(column) == 0) { skip("empty"); continue; }
                    byte[] bytes = g.getBinary(column, 0).getBytes();
                    progress.bytes(bytes.length);
                    Doc d = doc(bytes, bytes.length);
                    if (d != null) return d;
                }
                return null;
            }
            @Override public void close() throws IOException { reader.close(); }
        };
    }

    private static boolean isTruncation(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("Unexpected end of") || m.contains("Not in GZIP format")
                || m.contains("Corrupt GZIP trailer");
    }
}
