package io.pikemix.mixer;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.DatasetInfo;
import io.pikemix.format.DatasetInfo.DomainInfo;
import io.pikemix.format.DatasetInfo.ShardInfo;
import io.pikemix.format.DatasetInfo.SplitInfo;
import io.pikemix.format.UserException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DomainRowsTest {
    static DomainInfo domain(String name, long... trainShardRows) {
        var shards = new java.util.ArrayList<ShardInfo>();
        for (int i = 0; i < trainShardRows.length; i++)
            shards.add(new ShardInfo(name + "/train/part-0000" + i + ".parquet", trainShardRows[i], (long) i << 32));
        long rows = java.util.Arrays.stream(trainShardRows).sum();
        return new DomainInfo(
                name,
                null,
                1,
                100,
                Map.of(),
                Map.of(
                        "train", new SplitInfo(3, rows * 5, rows, 0, shards),
                        "val",
                                new SplitInfo(
                                        1, 5, 1, 0, List.of(new ShardInfo(name + "/val/part-00000.parquet", 1, 0)))));
    }

    @Test
    void training_takesTrainShardRowCountsInDatasetOrder() {
        var info = new DatasetInfo(
                1, "test", "spec.yaml", null, 4, 5, 0.1, 0, List.of(domain("web", 7, 2), domain("code", 4)));
        List<DomainRows> rows = DomainRows.training(info);
        assertEquals(List.of("web", "code"), rows.stream().map(DomainRows::name).toList());
        assertArrayEquals(new long[] {7, 2}, rows.get(0).shardRowCounts());
        assertEquals(9, rows.get(0).sequences());
        assertEquals(4, rows.get(1).sequences());
    }

    @Test
    void training_domainWithoutTrainingRows_isRejected() {
        var info = new DatasetInfo(1, "test", "spec.yaml", null, 4, 5, 0.1, 0, List.of(domain("web", 0)));
        var e = assertThrows(UserException.class, () -> DomainRows.training(info));
        assertTrue(e.getMessage().contains("domain 'web' has no training sequences"), e.getMessage());
    }
}
