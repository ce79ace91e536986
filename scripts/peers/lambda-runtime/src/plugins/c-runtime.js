// Declares the compiled custom runtime "crt": the sandbox runs build/http/post-invoke/bootstrap
// (written by lambda-up.sh) as the function, as Lambda runs /var/task/bootstrap.
module.exports = {
  set: {
    runtimes () {
      return { name: 'crt', type: 'compiled', build: 'build', baseRuntime: 'provided.al2' }
    }
  }
}
