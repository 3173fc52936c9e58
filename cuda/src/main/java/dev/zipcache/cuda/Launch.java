package dev.zipcache.cuda;

import java.util.List;

/**
 * One kernel launch: the entry name in {@code kernels.ptx}, the grid and block shape, dynamic shared memory and the
 * arguments in the entry's parameter order.
 */
record Launch(String kernel, int gridX, int gridY, int blockX, int blockY, List<KernelArgument> arguments) {

    /** CUDA's limits: the grid's y extent and the threads of a block. */
    static final int MAX_GRID_Y = 65_535;
    static final int MAX_THREADS_PER_BLOCK = 1024;

    Launch {
        arguments = List.copyOf(arguments);
        if (gridX < 1 || gridY < 1 || gridY > MAX_GRID_Y || blockX < 1 || blockY < 1
                || blockX * blockY > MAX_THREADS_PER_BLOCK) {
            throw new IllegalArgumentException("invalid launch shape for " + kernel + ": grid " + gridX + "×" + gridY
                    + ", block " + blockX + "×" + blockY);
        }
    }

    /** Threads per block. */
    int threadsPerBlock() {
        return blockX * blockY;
    }
}
