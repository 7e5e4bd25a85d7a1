# small_data.sh — sourced by the sweep tests: small_data DIR writes a labelled
# IDX data set of 600 training and 300 test Fashion-MNIST images into DIR, small
# enough for a judge trained in seconds. Needs $bin (the madbench binary).
small_data() {
    mkdir -p "$1" &&
        "$bin" data export fashion-mnist "$1/train-images-idx3-ubyte.gz" n=600 shuffle=1 seed=1 >/dev/null &&
        "$bin" data export fashion-mnist "$1/t10k-images-idx3-ubyte.gz" split=test n=300 shuffle=1 seed=1 >/dev/null
}
