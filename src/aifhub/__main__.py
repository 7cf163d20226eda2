from aifhub.cli import main

main()
