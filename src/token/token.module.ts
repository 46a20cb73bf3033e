import { Module } from '@nestjs/common';
import { DirectLineModule } from 'src/directline/directline.module';
import { TokenController } from 'src/token/token.controller';
import { TokenService } from 'src/token/token.service';

/** GET /token and /token/wss: Direct Line tokens for channels and browser sessions (docs/directline.md). */
@Module({
  imports: [DirectLineModule],
  controllers: [TokenController],
  providers: [TokenService],
})
export class TokenModule {}
