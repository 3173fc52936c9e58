package dev.zipcache.cuda;

import dev.zipcache.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Launch shapes: every output covered, CUDA's limits kept, the right kernel per batch size and head dimension. */
class KernelLaunchesTest {

    private static final Map<String, List<String>> PTX = PtxSignatures.committed();
    private static final DevicePointer A = new DevicePointer(1, 0);
    private static final DevicePointer B = new DevicePointer(2, 0);
    private static final DevicePointer C = new DevicePointer(3, 0);

    @Test
    void decodeTakesTheMatrixVectorKernelAndPrefillTheTiledOne() {
        DeviceMatrix matrix = new DeviceMatrix(GgmlType.Q4_0, 1000, 2048, A, B);
        Launch decode = KernelLaunches.matmul(matrix, C, 1, C);
        assertThat(decode.kernel()).isEqualTo("gemv_q4_0_x32");
        assertThat(KernelLaunches.matmul(matrix, C.plus(4), 1, C).kernel()).as("unaligned input")
                .isEqualTo("gemv_q4_0");
        assertThat(KernelLaunches.matmul(new DeviceMatrix(GgmlType.F16, 10, 172, A, DevicePointer.NULL), C, 1, C)
                .kernel()).as("rows not of whole 16-byte chunks").isEqualTo("gemv_f16");
        assertThat(KernelLaunches.matmul(new DeviceMatrix(GgmlType.F16, 10, 64, A, DevicePointer.NULL), C, 1, C)
                .kernel()).isEqualTo("gemv_f16_x8");
        assertThat(decode.gridX() * (decode.blockX() / 32)).isGreaterThanOrEqualTo(1000);
        assertThat(decode.gridY()).isEqualTo(1);
        Launch prefill = KernelLaunches.matmul(matrix, C, 130, C);
        assertThat(prefill.kernel()).isEqualTo("gemm_q4_0");
        assertThat(prefill.gridX()).isEqualTo(16);   // ceil(1000 / 64)
        assertThat(prefill.gridY()).isEqualTo(3);    // ceil(130 / 64)
        assertThat(prefill.threadsPerBlock()).isEqualTo(256);
        matchesPtx(decode);
        matchesPtx(prefill);
    }

    @Test
    void elementTypesPassTheNullScalePointer() {
        Launch launch = KernelLaunches.matmul(new DeviceMatrix(GgmlType.F16, 64, 64, A, DevicePointer.NULL), C, 1, C);
        assertThat(launch.arguments().get(1)).isEqualTo(new KernelArgument.Address(DevicePointer.NULL));
    }

    @Test
    void attentionTilesPromptsAndFallsBackForDecodeAndWideHeads() {
        Launch prompt = KernelLaunches.attention(A, B, C, 32, 8, 128, 4096, 100, 37, 0.1f, A);
        assertThat(prompt.kernel()).isEqualTo("attention_prefill_f16");
        assertThat(prompt.gridX()).isEqualTo(32);
        assertThat(prompt.gridY()).isEqualTo(3);     // ceil(37 / 16)
        Launch decode = KernelLaunches.attention(A, B, C, 32, 8, 128, 4096, 100, 1, 0.1f, A);
        assertThat(decode.kernel()).isEqualTo("attention_rows_f16");
        assertThat(decode.gridY()).isEqualTo(1);
        Launch wide = KernelLaunches.attention(A, B, C, 8, 8, 256, 4096, 0, 37, 0.1f, A);
        assertThat(wide.kernel()).isEqualTo("attention_rows_f16");
        assertThat(wide.gridY()).isEqualTo(37);
        assertThatThrownBy(() -> KernelLaunches.attention(A, B, C, 8, 8, 512, 4096, 0, 1, 0.1f, A))
                .hasMessageContaining("head dimension 512");
        matchesPtx(prompt);
        matchesPtx(decode);
    }

    @Test
    void longDecodeContextsAreSplitOverPositions() {
        assertThat(KernelLaunches.splitAttention(1, 32_768, 256)).isTrue();
        assertThat(KernelLaunches.splitAttention(1, 512, 256)).isFalse();
        assertThat(KernelLaunches.splitAttention(64, 32_768, 256)).isFalse();
        Launch split = KernelLaunches.attentionSplit(A, B, C, 8, 2, 128, 32_768, 32_700, 1, 256, 0.1f, A);
        assertThat(split.gridZ()).isEqualTo(128);    // ceil(32,701 / 256)
        assertThat(split.gridX()).isEqualTo(8);
        matchesPtx(split);
        matchesPtx(KernelLaunches.attentionMerge(A, 8, 128, 128, 1, B));
    }

    @Test
    void elementwiseGridsCoverEveryElement() {
        for (int n : new int[] {1, 255, 256, 257, 172 * 3}) {
            Launch launch = KernelLaunches.swiGlu(A, B, n);
            assertThat((long) launch.gridX() * launch.blockX()).isGreaterThanOrEqualTo(n);
            assertThat((long) (launch.gridX() - 1) * launch.blockX()).isLessThan(n);
        }
        Launch append = KernelLaunches.kvAppend(A, B, 5, 4, 8, 512, 10, C, C);
        assertThat((long) append.gridX() * append.blockX()).isGreaterThanOrEqualTo(5 * 4 * 8);
        matchesPtx(append);
        matchesPtx(KernelLaunches.addBias(A, B, 64, 3));
        matchesPtx(KernelLaunches.rope(A, 3, 8, 64, 32, B, C, true));
        matchesPtx(KernelLaunches.rmsNorm(A, B, 64, 1e-5f, 3, C));
        matchesPtx(KernelLaunches.embed(new DeviceMatrix(GgmlType.BF16, 10, 64, A, DevicePointer.NULL), B, 3, C));
    }

    @Test
    void kiviLaunchesCoverTheirWork() {
        KiviLayout layout = new KiviLayout(8, 128, 2, 32, 128, 32);
        assertThat(layout.rowBytes()).isEqualTo(256);   // 1024 channels at 2 bits
        assertThat(layout.runs()).isEqualTo(32);
        PackedRows rows = new PackedRows(A, B, C);
        Launch keys = KernelLaunches.kiviPackKeys(A, 160, layout, 128, 4, rows);
        assertThat(keys.gridX()).as("one block per key block").isEqualTo(4);
        Launch values = KernelLaunches.kiviPackValues(B, 160, layout, 100, 7, rows);
        assertThat(values.gridX()).as("one block per token").isEqualTo(7);
        Launch attention = KernelLaunches.attentionKivi(A, B, C, 160, rows, rows, layout, 32, 128, 100, 200, 3,
                0.1f, A);
        assertThat(List.of(attention.gridX(), attention.gridY(), attention.blockX())).containsExactly(32, 3, 128);
        Launch split = KernelLaunches.attentionSplitKivi(A, B, C, 160, rows, rows, layout, 32, 128, 100, 4000, 1,
                256, 0.1f, A);
        assertThat(split.gridZ()).isEqualTo(16);     // ceil(4,001 / 256)
        Launch move = KernelLaunches.windowMove(A, B, 160, C, A, 300, 8, 128, 40, 130);
        assertThat((long) move.gridX() * move.blockX()).isGreaterThanOrEqualTo(130 * 1024);
        assertThatThrownBy(() -> KernelLaunches.attentionKivi(A, B, C, 160, rows, rows,
                new KiviLayout(1, 512, 2, 32, 32, 32), 1, 0, 0, 0, 1, 0.1f, A))
                .hasMessageContaining("head dimension 512");
        for (Launch launch : List.of(keys, values, attention, split, move)) {
            matchesPtx(launch);
        }
    }

    @Test
    void shapesBeyondCudaLimitsAreRefused() {
        assertThatThrownBy(() -> new Launch("x", 1, 70_000, 32, 1, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Launch("x", 1, 1, 64, 32, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void matchesPtx(Launch launch) {
        assertThat(launch.arguments().stream().map(KernelArgument::ptxType).toList())
                .as(launch.kernel()).isEqualTo(PTX.get(launch.kernel()));
    }
}
