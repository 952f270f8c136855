package io.pikemix.etl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("spark")
class BpeTrainerSparkTest {
    static SparkSession spark;
    static JavaRDD<String> documents;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("BpeTrainerSparkTest")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        documents = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(Fixture.documents(), 4);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Single-threaded count through the reference regex. */
    static Map<String, Long> regexCounts() {
        var counts = new HashMap<String, Long>();
        for (String doc : Fixture.documents()) {
            var m = ByteLevel.PATTERN.matcher(doc);
            while (m.find()) counts.merge(m.group(), 1L, Long::sum);
        }
        return counts;
    }

    @Test
    void countPreTokens_equalsSingleThreadedCount() {
        assertEquals(regexCounts(), BpeTrainer.countPreTokens(documents, 1));
    }

    @Test
    void countPreTokens_dropsCountsBelowMinCount() {
        var expected = new HashMap<>(regexCounts());
        expected.values().removeIf(c -> c < 3);
        assertEquals(expected, BpeTrainer.countPreTokens(documents, 3));
    }

    @Test
    void train_onSparkEqualsTrainOnDriverCounts() {
        BpeTokenizer distributed = BpeTrainer.train(documents, 600);
        BpeTokenizer local = BpeTrainer.train(regexCounts(), 600);
        assertArrayEquals(HfTokenizerJson.toBytes(local), HfTokenizerJson.toBytes(distributed));
    }
}
