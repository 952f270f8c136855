package io.pikemix.format;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where a dataset lives: a Hadoop {@code FileSystem} URI ({@code file:///data/genres}, {@code hdfs://nn:8020/data/genres},
 * {@code s3a://bucket/genres}) or a bare local path ({@code data/genres}, always the local file system, whatever
 * {@code fs.defaultFS} says). The same URI names the same files on a laptop and on every executor of a cluster;
 * the Hadoop configuration is the process's ({@code core-site.xml} on the classpath, {@code HADOOP_CONF_DIR}).
 */
public final class DatasetDir {
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");

    private final String uri;
    private final Path root;
    private final Configuration conf;

    private DatasetDir(String uri, Configuration conf) {
        this.uri = normalize(uri);
        this.root = hadoopPath(this.uri);
        this.conf = conf;
    }

    /** The dataset at {@code uri}, with the process's Hadoop configuration. */
    public static DatasetDir of(String uri) {
        return of(uri, new Configuration());
    }

    public static DatasetDir of(String uri, Configuration conf) {
        Checks.require(
                uri != null && !uri.isBlank(),
                "the dataset location is empty; pass a directory or a URI such as hdfs://namenode:8020/data/genres");
        return new DatasetDir(uri, conf);
    }

    /** A bare path made absolute (so it still names the same directory from another working directory); a URI as given. */
    public static String normalize(String uri) {
        return hasScheme(uri)
                ? uri
                : java.nio.file.Path.of(uri).toAbsolutePath().normalize().toString();
    }

    /** True for {@code scheme:...}; a bare path has none. */
    public static boolean hasScheme(String uri) {
        return SCHEME.matcher(uri).matches();
    }

    /** A file or directory as a Hadoop path: URIs as given, bare paths on the local file system. */
    static Path hadoopPath(String uri) {
        return hasScheme(uri)
                ? new Path(uri)
                : new Path(
                        "file",
                        null,
                        java.nio.file.Path.of(uri).toAbsolutePath().normalize().toString());
    }

    /** The location as given (bare paths absolute). */
    public String uri() {
        return uri;
    }

    public Configuration conf() {
        return conf;
    }

    /** A file of the dataset by its path relative to the directory (as dataset.json lists shards). */
    public Path resolve(String relative) {
        return new Path(root, relative);
    }

    FileSystem fs() {
        try {
            return root.getFileSystem(conf);
        } catch (IOException e) {
            throw new UserException("cannot reach the file system of " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Reads {@code dataset.json}; a directory without it is not a (complete) dataset. */
    DatasetInfo readInfo() {
        Path file = resolve(DatasetInfo.FILE_NAME);
        try (InputStream in = fs().open(file)) {
            return DatasetInfo.parse(in, file);
        } catch (FileNotFoundException e) {
            throw new UserException(uri + " is not a dataset: no " + DatasetInfo.FILE_NAME
                    + " (an ETL run that did not finish leaves none; run 'pike etl' again)");
        } catch (IOException e) {
            throw new UserException(file + ": unreadable: " + firstLine(e), e);
        }
    }

    /** The first line of an exception's message (Jackson's and Parquet's go on with the input's location). */
    static String firstLine(Throwable e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    }

    /** The bytes of a (small) file of the dataset, e.g. tokenizer.json. */
    public byte[] readAllBytes(String relative) {
        try (InputStream in = fs().open(resolve(relative))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resolve(relative), e);
        }
    }

    @Override
    public String toString() {
        return uri;
    }
}
