package io.pikemix.etl;

import io.pikemix.etl.InputPlan.Task;
import io.pikemix.etl.TaskStats.SplitStats;
import io.pikemix.etl.tokenizer.BpeTrainer;
import io.pikemix.etl.tokenizer.HfTokenizerJson;
import io.pikemix.etl.tokenizer.Tokenizer;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.DatasetInfo.DomainInfo;
import io.pikemix.format.DatasetInfo.ShardInfo;
import io.pikemix.format.DatasetInfo.SplitInfo;
import io.pikemix.format.DatasetInfo.TokenizerInfo;
import io.pikemix.format.UserException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ETL job: plan inputs → (train a tokenizer) → tokenize and pack on the executors → write Parquet
 * → publish. Output, at {@code OUT}:
 * <pre>
 *   OUT/&lt;domain&gt;/{train,val}/part-NNNNN.parquet   seq_id: long, tokens: binary (context+1 int32 ids)
 *   OUT/tokenizer.json                             when the tokenizer is a trained or given BPE file
 *   OUT/_config.json                               the spec and settings that made it
 *   OUT/dataset.json                               statistics; written LAST
 * </pre>
 * Everything is written under {@code OUT/_staging} first and moved into place when the Spark job has
 * succeeded and the statistics are complete; {@code dataset.json} is renamed into place last, so a failed
 * or killed run never leaves a directory that looks like a finished dataset.
 */
public final class EtlJob {
    private static final Logger log = LoggerFactory.getLogger(EtlJob.class);
    private static final Pattern PART = Pattern.compile("part-(\\d{5})-.*\\.parquet");

    private final SparkSession spark;
    private final EtlConfig config;
    private final PrintStream console;

    public EtlJob(SparkSession spark, EtlConfig config, PrintStream console) {
        this.spark = spark;
        this.config = config;
        this.console = console;
    }

    public DatasetInfo run() throws IOException {
        CorpusSpec spec = config.spec();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path out = new Path(config.out());
        FileSystem fs = out.getFileSystem(conf);
        List<Task> tasks = InputPlan.plan(spec, conf);
        prepare(fs, out, tasks.stream().mapToLong(Task::bytes).sum());
        Path staging = new Path(out, "_staging");

        console.printf(
                "etl: %d domains, %d input files, %.1f MB in %d tasks%n",
                spec.domains().size(),
                tasks.stream()
                        .flatMap(t -> t.chunks().stream())
                        .filter(c -> c.start() == 0)
                        .count(),
                tasks.stream().mapToLong(Task::bytes).sum() / 1e6,
                tasks.size());

        TokenizerRef ref = tokenizer(spec, tasks, fs, staging);
        Tokenizer tok = ref.get();
        TokenizerInfo tokInfo = new TokenizerInfo(
                tok.name(),
                spec.tokenizer(),
                tok.contentHash(),
                tok.vocabSize(),
                tok.eosId(),
                ref.json() != null ? "tokenizer.json" : null);

        long t0 = System.nanoTime();
        List<TaskStats> stats = pack(spec, tasks, ref, staging, conf);
        long t1 = System.nanoTime();
        DatasetInfo info = publish(spec, fs, out, staging, tokInfo, stats);
        fs.delete(staging, true);
        log.debug("pack {} ms, publish {} ms", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
        return info;
    }

    /**
     * Refuses to replace a finished dataset unless --overwrite, and to start without room for the estimated output
     * ({@link SpaceCheck}); removes any stale staging directory.
     */
    private void prepare(FileSystem fs, Path out, long inputBytes) throws IOException {
        Path marker = new Path(out, DatasetInfo.FILE_NAME);
        boolean exists = fs.exists(marker);
        if (exists && !config.overwrite())
            throw new UserException(
                    out + " already holds a dataset (" + DatasetInfo.FILE_NAME + "); pass --overwrite to replace it");
        if (config.spaceFactor() > 0)
            SpaceCheck.check(out.toString(), inputBytes, config.spaceFactor(), SpaceCheck.usableBytes(fs, out));
        if (exists) fs.delete(marker, false); // from here on, the directory no longer looks complete
        fs.delete(new Path(out, "_staging"), true);
        fs.mkdirs(out);
    }

    /** Resolves the spec's tokenizer; {@code bpe:N} trains one on the training split of every domain. */
    private TokenizerRef tokenizer(CorpusSpec spec, List<Task> tasks, FileSystem fs, Path staging) throws IOException {
        String t = spec.tokenizer();
        if (t.startsWith("bpe:")) {
            int vocab;
            try {
                vocab = Integer.parseInt(t.substring(4));
            } catch (NumberFormatException e) {
                throw new UserException(
                        spec.file() + ": tokenizer '" + t + "': expected bpe:<vocab size>, e.g. bpe:8192");
            }
            if (vocab < 257 || vocab > 1 << 20)
                throw new UserException(spec.file() + ": tokenizer '" + t + "': vocab size must be in [257, 1048576]");
            console.printf("etl: training a byte-level BPE tokenizer with %,d tokens on the training split%n", vocab);
            long t0 = System.nanoTime();
            var bpe = BpeTrainer.train(TokenizerTraining.trainingTexts(spark, spec, tasks), vocab);
            java.nio.file.Path tmp = Files.createTempFile("pike-tokenizer", ".json");
            try {
                HfTokenizerJson.write(bpe, tmp);
                byte[] bytes = Files.readAllBytes(tmp);
                write(fs, new Path(staging, "tokenizer.json"), bytes);
                console.printf("etl: tokenizer trained in %.1f s%n", (System.nanoTime() - t0) / 1e9);
                return TokenizerRef.json(bytes);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        if (t.endsWith(".json")) {
            java.nio.file.Path p = spec.baseDir().resolve(t);
            if (!Files.isRegularFile(p)) throw new UserException(spec.file() + ": tokenizer file not found: " + p);
            byte[] bytes = Files.readAllBytes(p);
            write(fs, new Path(staging, "tokenizer.json"), bytes);
            return TokenizerRef.json(bytes);
        }
        TokenizerRef ref = TokenizerRef.encoding(t);
        ref.get(); // fail on the driver, with the name, if unknown
        return ref;
    }

    /**
     * Tokenize, pack and write on the executors: one Spark task per planned task, which writes its own shard files
     * under {@code staging/parquet/domain=D/split=S/} ({@link PackTask}, {@link ShardWriter}) and returns its
     * statistics. No Spark SQL: rows never become Spark rows (that path cost a row conversion, a projection and a
     * planned write per row, and Spark SQL's one-off warm-up per JVM), and the files are the same.
     */
    private List<TaskStats> pack(
            CorpusSpec spec, List<Task> tasks, TokenizerRef ref, Path staging, Configuration conf) {
        var jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<TokenizerRef> tokenizer = jsc.broadcast(ref);
        Broadcast<org.apache.spark.util.SerializableConfiguration> hadoop =
                jsc.broadcast(new org.apache.spark.util.SerializableConfiguration(conf));
        String parquetDir = new Path(staging, "parquet").toString();
        int rowLength = spec.context() + 1;
        double valFraction = spec.valFraction();
        long seed = spec.splitSeed(), maxDoc = spec.maxDocBytes();
        try (var progress =
                new Progress(spark.sparkContext(), spec.domainNames(), tasks, config.progressIntervalMs(), console)) {
            Meter.Channels channels = progress.channels();
            var taskRdd = jsc.parallelize(tasks, tasks.size());
            // one task's work, built the same way with or without deduplication
            org.apache.spark.api.java.function.Function<Task, PackTask> packTask = task -> new PackTask(
                    task,
                    tokenizer.value().get(),
                    rowLength,
                    valFraction,
                    seed,
                    maxDoc,
                    parquetDir,
                    hadoop.value().value(),
                    org.apache.spark.TaskContext.get().attemptNumber(),
                    new Meter(channels, task.domainIndex()));
            List<TaskStats> stats;
            if (tasks.stream().noneMatch(Task::dedup)) {
                stats = taskRdd.mapPartitions(it -> it.hasNext()
                                ? List.of(packTask.call(it.next()).run()).iterator()
                                : java.util.Collections.<TaskStats>emptyIterator())
                        .collect();
            } else {
                console.printf(
                        "etl: exact deduplication of %s: hashing their documents first%n",
                        spec.domains().stream()
                                .filter(d -> d.dedup() == CorpusSpec.DedupMode.EXACT)
                                .map(CorpusSpec.DomainSpec::name)
                                .toList());
                var duplicates = Dedup.duplicates(jsc, tasks, hadoop, maxDoc);
                stats = taskRdd.zipPartitions(
                                duplicates,
                                (it, dups) -> it.hasNext()
                                        ? List.of(packTask.call(it.next())
                                                        .dropping(Dedup.sorted(dups))
                                                        .run())
                                                .iterator()
                                        : java.util.Collections.<TaskStats>emptyIterator())
                        .collect();
            }
            if (config.progressIntervalMs() > 0) progress.print();
            var byTask = new ArrayList<>(stats);
            byTask.sort(java.util.Comparator.comparingInt(TaskStats::task));
            if (byTask.size() != tasks.size())
                throw new IllegalStateException(tasks.size() + " tasks but " + byTask.size() + " results");
            return byTask;
        }
    }

    /** Moves shards to OUT/&lt;domain&gt;/&lt;split&gt;/part-NNNNN.parquet, then writes _config.json and, last, dataset.json. */
    private DatasetInfo publish(
            CorpusSpec spec, FileSystem fs, Path out, Path staging, TokenizerInfo tok, List<TaskStats> stats)
            throws IOException {
        var domains = new ArrayList<DomainInfo>();
        for (var d : spec.domains()) {
            List<TaskStats> mine =
                    stats.stream().filter(s -> s.domain().equals(d.name())).toList();
            var skipped = new TreeMap<String, Long>();
            mine.forEach(s -> s.skipped().forEach((k, v) -> skipped.merge(k, v, Long::sum)));
            long docs = mine.stream()
                    .mapToLong(s -> s.splits().values().stream()
                            .mapToLong(SplitStats::documents)
                            .sum())
                    .sum();
            if (docs == 0)
                throw new UserException("domain '" + d.name() + "' has no documents: "
                        + mine.stream().mapToLong(TaskStats::inputFiles).sum() + " input files read, skipped " + skipped
                        + "; check its paths and format in " + spec.file());
            var splits = new LinkedHashMap<String, SplitInfo>();
            for (String split : DatasetInfo.SPLITS)
                splits.put(split, publishSplit(fs, out, staging, d.name(), split, mine));
            domains.add(new DomainInfo(
                    d.name(),
                    d.prior(),
                    mine.stream().mapToLong(TaskStats::inputFiles).sum(),
                    mine.stream().mapToLong(TaskStats::inputBytes).sum(),
                    skipped,
                    splits));
        }
        Path tokFile = new Path(staging, "tokenizer.json");
        if (fs.exists(tokFile)) {
            fs.delete(new Path(out, "tokenizer.json"), false);
            rename(fs, tokFile, new Path(out, "tokenizer.json"));
        }
        var info = new DatasetInfo(
                DatasetInfo.FORMAT_VERSION,
                "pike-mix etl",
                spec.file().toAbsolutePath().toString(),
                tok,
                spec.context(),
                spec.context() + 1,
                spec.valFraction(),
                spec.splitSeed(),
                domains);
        var settings = new LinkedHashMap<String, Object>(Map.of(
                "spec",
                spec.file().toAbsolutePath().toString(),
                "spec_sha256",
                sha256(Files.readAllBytes(spec.file())),
                "tokenizer",
                spec.tokenizer(),
                "context",
                spec.context(),
                "val_fraction",
                spec.valFraction(),
                "split_seed",
                spec.splitSeed(),
                "max_doc_bytes",
                spec.maxDocBytes(),
                "split_bytes",
                spec.splitBytes(),
                "spark_version",
                spark.version(),
                "java_version",
                System.getProperty("java.version")));
        var dedup = spec.domains().stream()
                .filter(d -> d.dedup() == CorpusSpec.DedupMode.EXACT)
                .map(CorpusSpec.DomainSpec::name)
                .toList();
        if (!dedup.isEmpty()) settings.put("dedup_exact", dedup); // absent when off: outputs as before
        write(fs, new Path(out, "_config.json"), DatasetInfo.mapper().writeValueAsBytes(settings));
        Path tmp = new Path(out, DatasetInfo.FILE_NAME + ".tmp");
        write(fs, tmp, info.toJson());
        rename(fs, tmp, new Path(out, DatasetInfo.FILE_NAME));
        return info;
    }

    private SplitInfo publishSplit(
            FileSystem fs, Path out, Path staging, String domain, String split, List<TaskStats> mine)
            throws IOException {
        Map<Integer, TaskStats> byTask = new TreeMap<>();
        mine.forEach(s -> byTask.put(s.task(), s));
        Path src = new Path(staging, "parquet/" + Schemas.DOMAIN + "=" + domain + "/" + Schemas.SPLIT + "=" + split);
        Path dst = new Path(out, domain + "/" + split);
        fs.delete(dst, true);
        fs.mkdirs(dst);
        var files = new TreeMap<Integer, Path>();
        if (fs.exists(src))
            for (FileStatus f : fs.listStatus(src)) {
                Matcher m = PART.matcher(f.getPath().getName());
                if (m.matches()) files.put(Integer.parseInt(m.group(1)), f.getPath());
            }
        var shards = new ArrayList<ShardInfo>();
        for (var e : files.entrySet()) {
            TaskStats s = byTask.get(e.getKey());
            if (s == null)
                throw new IllegalStateException(
                        "shard " + e.getValue() + " comes from task " + e.getKey() + " of another domain");
            String name = String.format("part-%05d.parquet", shards.size());
            rename(fs, e.getValue(), new Path(dst, name));
            shards.add(new ShardInfo(
                    domain + "/" + split + "/" + name, s.splits().get(split).sequences(), (long) e.getKey() << 32));
        }
        long docs = 0, tokens = 0, seqs = 0, tail = 0;
        for (TaskStats s : mine) {
            SplitStats ss = s.splits().get(split);
            docs += ss.documents();
            tokens += ss.tokens();
            seqs += ss.sequences();
            tail += ss.tailTokensDropped();
        }
        long inShards = shards.stream().mapToLong(ShardInfo::rows).sum();
        if (inShards != seqs)
            throw new IllegalStateException(
                    domain + "/" + split + ": " + seqs + " rows counted but " + inShards + " in shards");
        return new SplitInfo(docs, tokens, seqs, tail, shards);
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) throw new IOException("could not rename " + from + " to " + to);
    }

    private static void write(FileSystem fs, Path p, byte[] bytes) throws IOException {
        try (OutputStream o = fs.create(p, true)) {
            o.write(bytes);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
