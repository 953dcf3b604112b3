// Hardhat 2 network for keel's crypto tests (CommonJS: the project itself is "type": "module").
// Automine stays on: every transaction is mined at once in its own block; tests mine extra blocks with hardhat_mine.
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: 'cancun',
      mining: { auto: true, interval: 0 },
      accounts: { count: 5 },
    },
  },
};
