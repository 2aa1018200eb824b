from wordseq.cli import main

main()
