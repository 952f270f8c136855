package io.pikemix.etl;

import io.pikemix.etl.CorpusSpec.DocSeparator;
import io.pikemix.etl.CorpusSpec.DomainSpec;
import io.pikemix.etl.CorpusSpec.Format;
import io.pikemix.format.UserException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Driver-side planning: expands each domain's globs into files and cuts them into {@link Task}s, one Spark
 * partition each. The plan depends only on the input files and the spec (never on the cluster's size),
 * so the packed rows are the same on {@code local[2]} and on a 100-node cluster.
 *
 * <p>Uncompressed JSON-lines files larger than {@code split_bytes} are cut into byte ranges (Hadoop's
 * line reader finishes the line that straddles a boundary); compressed files, text files and Parquet files
 * are read whole; consecutive small files of one domain are grouped until a group holds {@code split_bytes}.
 */
public final class InputPlan {
    private InputPlan() {}

    /** A byte range of one input file. */
    public record Chunk(String path, long start, long length, long fileLength) implements Serializable {}

    /** One Spark task: a domain's consecutive chunks. {@code index} is the task's partition id. */
    public record Task(
            int index,
            int domainIndex,
            String domain,
            Format format,
            DocSeparator separator,
            String textColumn,
            List<Chunk> chunks,
            boolean dedup)
            implements Serializable {
        public long bytes() {
            return chunks.stream().mapToLong(Chunk::length).sum();
        }
    }

    public static List<Task> plan(CorpusSpec spec, Configuration conf) {
        var tasks = new ArrayList<Task>();
        var codecs = new CompressionCodecFactory(conf);
        for (int d = 0; d < spec.domains().size(); d++) {
            DomainSpec domain = spec.domains().get(d);
            List<FileStatus> files = resolve(spec, domain, conf);
            var group = new ArrayList<Chunk>();
            long groupBytes = 0;
            for (FileStatus f : files) {
                if (domain.format() == Format.PARQUET) checkParquetColumn(f, domain, conf);
                for (Chunk c : chunks(f, domain, spec.splitBytes(), codecs)) {
                    if (!group.isEmpty() && groupBytes + c.length() > spec.splitBytes()) {
                        tasks.add(task(tasks.size(), d, domain, group));
                        group = new ArrayList<>();
                        groupBytes = 0;
                    }
                    group.add(c);
                    groupBytes += c.length();
                }
            }
            if (!group.isEmpty()) tasks.add(task(tasks.size(), d, domain, group));
        }
        return List.copyOf(tasks);
    }

    private static Task task(int index, int d, DomainSpec domain, List<Chunk> chunks) {
        return new Task(
                index,
                d,
                domain.name(),
                domain.format(),
                domain.docSeparator(),
                domain.textColumn(),
                List.copyOf(chunks),
                domain.dedup() == CorpusSpec.DedupMode.EXACT);
    }

    /** The files a domain's globs match, sorted by path and de-duplicated; a glob matching nothing is an error. */
    static List<FileStatus> resolve(CorpusSpec spec, DomainSpec domain, Configuration conf) {
        var byPath = new TreeMap<String, FileStatus>();
        for (String glob : domain.paths()) {
            Path pattern = absolute(spec, glob);
            FileStatus[] matches;
            try {
                matches = pattern.getFileSystem(conf).globStatus(pattern);
            } catch (IOException e) {
                throw new UserException(
                        "domain '" + domain.name() + "': cannot list '" + glob + "': " + e.getMessage());
            }
            if (matches == null || matches.length == 0)
                throw new UserException("domain '" + domain.name() + "': path '" + glob
                        + "' matches no file (looked for " + pattern + ", relative to " + spec.file() + ")");
            for (FileStatus m : matches) {
                if (m.isDirectory())
                    throw new UserException("domain '" + domain.name() + "': '" + m.getPath()
                            + "' is a directory; use a glob such as '" + glob.replaceAll("/+$", "") + "/*'");
                byPath.put(m.getPath().toString(), m);
            }
        }
        var files = new ArrayList<>(byPath.values());
        files.sort(Comparator.comparing(f -> f.getPath().toString()));
        return files;
    }

    /** An absolute path or a URI with a scheme (hdfs://, s3a://, file:) as given; anything else relative to the spec. */
    static Path absolute(CorpusSpec spec, String glob) {
        if (glob.startsWith("/") || SCHEME.matcher(glob).lookingAt()) return new Path(glob);
        return new Path(spec.baseDir().toUri().toString(), glob);
    }

    private static final java.util.regex.Pattern SCHEME = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*:");

    private static List<Chunk> chunks(
            FileStatus f, DomainSpec domain, long splitBytes, CompressionCodecFactory codecs) {
        long len = f.getLen();
        String path = f.getPath().toString();
        boolean compressed = codecs.getCodec(f.getPath()) != null;
        if (domain.format() != Format.JSONL || compressed || len <= splitBytes)
            return List.of(new Chunk(path, 0, len, len));
        var out = new ArrayList<Chunk>();
        for (long start = 0; start < len; start += splitBytes)
            out.add(new Chunk(path, start, Math.min(splitBytes, len - start), len));
        return out;
    }

    private static void checkParquetColumn(FileStatus f, DomainSpec domain, Configuration conf) {
        try (var reader = ParquetFileReader.open(HadoopInputFile.fromStatus(f, conf))) {
            var schema = reader.getFooter().getFileMetaData().getSchema();
            if (!schema.containsField(domain.textColumn()))
                throw new UserException("domain '" + domain.name() + "': " + f.getPath() + " has no column '"
                        + domain.textColumn() + "' (columns: "
                        + schema.getFields().stream().map(t -> t.getName()).toList() + "); set text_column");
        } catch (IOException e) {
            throw new UserException("domain '" + domain.name() + "': " + f.getPath()
                    + " is not a readable Parquet file: " + e.getMessage());
        }
    }
}
