package dev.zipcache.cuda;

import java.util.List;

/**
 * One kernel launch: the entry name in {@code kernels.ptx}, the grid and block shape, dynamic shared memory and the
 * arguments in the entry's parameter order.
 */
record Launch(String kernel, int gridX, int gridY, int gridZ, int blockX, int blockY, List<KernelArgument> arguments) {

    /** CUDA's limits: the grid's y and z extents and the threads of a block. */
    static final int MAX_GRID_Y = 65_535;
    static final int MAX_GRID_Z = 65_535;
    static final int MAX_THREADS_PER_BLOCK = 1024;

    Launch {
        arguments = List.copyOf(arguments);
        if (gridX < 1 || gridY < 1 || gridY > MAX_GRID_Y || gridZ < 1 || gridZ > MAX_GRID_Z || blockX < 1
                || blockY < 1 || blockX * blockY > MAX_THREADS_PER_BLOCK) {
            throw new IllegalArgumentException("invalid launch shape for " + kernel + ": grid " + gridX + "×" + gridY
                    + "×" + gridZ + ", block " + blockX + "×" + blockY);
        }
    }

    /** A launch on a two-dimensional grid. */
    Launch(String kernel, int gridX, int gridY, int blockX, int blockY, List<KernelArgument> arguments) {
        this(kernel, gridX, gridY, 1, blockX, blockY, arguments);
    }

    /** Threads per block. */
    int threadsPerBlock() {
        return blockX * blockY;
    }
}
