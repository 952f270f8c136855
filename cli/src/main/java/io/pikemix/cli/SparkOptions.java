package io.pikemix.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/**
 * Spark flags shared by every Spark command (a picocli mixin). Under {@code spark-submit} the master and
 * resources come from spark-submit; {@code --master} is for the local launcher and defaults to {@code local[*]}.
 */
public final class SparkOptions {
    @Option(names = "--master", description = "Spark master URL (default: spark-submit's, else local[*]).")
    String master;

    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE", description = "Extra Spark settings, repeatable.")
    java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();

    @Option(names = "--ui", description = "Start the Spark web UI (off by default).")
    boolean ui;

    public SparkSession open(String appName) {
        var sparkConf = new SparkConf(true).setAppName(appName);
        if (master != null) sparkConf.setMaster(master);
        else if (!sparkConf.contains("spark.master")) sparkConf.setMaster("local[*]");
        sparkConf.setIfMissing("spark.ui.enabled", Boolean.toString(ui));
        sparkConf.setIfMissing("spark.sql.shuffle.partitions", "8");
        sparkConf.setIfMissing("spark.ui.showConsoleProgress", "false");
        io.pikemix.etl.LocalFileSystem.configure(sparkConf);
        conf.forEach(sparkConf::set);
        SparkSession session = SparkSession.builder().config(sparkConf).getOrCreate();
        session.sparkContext().setLogLevel(Main.verbose ? "INFO" : "WARN");
        // setLogLevel sets the root logger; pike-mix's own progress lines stay at INFO (under spark-submit the
        // launcher's log4j2 configuration is Spark's, not cli's log4j2.properties)
        org.apache.logging.log4j.core.config.Configurator.setLevel("io.pikemix", org.apache.logging.log4j.Level.INFO);
        return session;
    }
}
